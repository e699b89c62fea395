"""Renkei's SecurityManager: FAB's, minus what would load from the internet."""

from flask_appbuilder.security.sqla.manager import SecurityManager


class RenkeiSecurityManager(SecurityManager):
    """FAB's SQLA security manager with the user-statistics chart removed.

    That chart loads Google Charts from the internet, which a closed network cannot
    reach and which would leak who looks at what.
    """

    userstatschartview = None

    def bootstrap(self) -> None:
        """Create the built-in roles and every view's permissions (no create_all)."""
        # The base class's create_db makes roles only; SQLA's would also create tables.
        super(SecurityManager, self).create_db()
        self.appbuilder.add_permissions(update_perms=True)
