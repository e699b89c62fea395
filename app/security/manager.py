"""Renkei's SecurityManager: FAB's, minus what would load from the internet."""

from flask_appbuilder.security.sqla.manager import SecurityManager


class RenkeiSecurityManager(SecurityManager):
    """FAB's SQLA security manager with the user-statistics chart removed.

    That chart loads Google Charts from the internet, which a closed network cannot
    reach and which would leak who looks at what.
    """

    userstatschartview = None

    def bootstrap(self, reset_profiles: bool = False) -> list[str]:
        """Create roles, every view's permissions and the ready-made profiles.

        No create_all: migrations own the schema. Returns the profiles (re)written.
        """
        from app.security.profiles import ensure_future_permissions, seed_profiles

        # The base class's create_db makes roles only; SQLA's would also create tables.
        super(SecurityManager, self).create_db()
        self.appbuilder.add_permissions(update_perms=True)
        ensure_future_permissions(self)
        admin = self.find_role(self.auth_role_admin)
        self._grant_everything(admin)
        return seed_profiles(self, reset=reset_profiles)

    def _grant_everything(self, role) -> None:
        """The administrator profile holds every permission there is."""
        from flask_appbuilder.security.sqla.models import PermissionView

        role.permissions = self.session.query(PermissionView).all()
        self.session.commit()
