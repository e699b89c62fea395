"""Renkei's SecurityManager: FAB's, minus what would load from the internet."""

from flask_appbuilder.security.sqla.manager import SecurityManager


class RenkeiSecurityManager(SecurityManager):
    """FAB's SQLA security manager with the user-statistics chart removed.

    That chart loads Google Charts from the internet, which a closed network cannot
    reach and which would leak who looks at what.
    """

    userstatschartview = None

    def __init__(self, appbuilder):
        super().__init__(appbuilder)
        # Users, roles and groups read like every other screen: Yes/No for a flag,
        # blank for nothing, times in the display zone (not "True", "None", UTC).
        from app.views.money import MoneyInterface

        for view in (self.userdbmodelview, self.rolemodelview, self.groupmodelview):
            view.datamodel = MoneyInterface(view.datamodel.obj)

    # Permission checks for the signed-in user read one cached set per request
    # (app/security/rights.py) instead of one query per check.

    def _cached_rights(self, user):
        """The request's cached rights when ``user`` is the signed-in user, else None."""
        from app.security.rights import _signed_in_user_id, request_rights

        user_id = getattr(user, "id", None)
        if user_id is None or user_id != _signed_in_user_id():
            return None
        return request_rights(user_id)

    def _has_view_access(self, user, permission_name: str, view_name: str) -> bool:
        rights = self._cached_rights(user)
        if rights is None:
            return super()._has_view_access(user, permission_name, view_name)
        if (permission_name, view_name) in rights.pairs:
            return True
        return any(
            self._has_access_builtin_roles(_Named(name), permission_name, view_name)
            for name in rights.role_names
            if name in self.builtin_roles
        )

    def _get_user_permission_view_menus(self, user, permission_name: str, view_menus_name):
        rights = self._cached_rights(user)
        if rights is None:
            return super()._get_user_permission_view_menus(user, permission_name, view_menus_name)
        result = {view for perm, view in rights.pairs if perm == permission_name}
        for name in rights.role_names:
            if name in self.builtin_roles:
                result.update(
                    view
                    for view in view_menus_name or ()
                    if self._has_access_builtin_roles(_Named(name), permission_name, view)
                )
        return result

    def bootstrap(self, reset_profiles: bool = False) -> list[str]:
        """Create roles, every view's permissions and the ready-made profiles.

        No create_all: migrations own the schema. Returns the profiles (re)written.
        """
        from app.security.profiles import (
            ensure_future_permissions,
            grant_introduced_rights,
            rights_not_yet_created,
            seed_profiles,
        )

        # The base class's create_db makes roles only; SQLA's would also create tables.
        super(SecurityManager, self).create_db()
        introduced = rights_not_yet_created(self)  # an upgrade's new rights, seen before
        self.appbuilder.add_permissions(update_perms=True)
        ensure_future_permissions(self)
        admin = self.find_role(self.auth_role_admin)
        self._grant_everything(admin)
        written = seed_profiles(self, reset=reset_profiles)
        grant_introduced_rights(self, introduced)  # existing profiles get them once
        return written

    def add_permissions_view(self, base_permissions, view_menu):
        """Add a view's permissions on its resource; never take any away.

        In Renkei several views share one resource (a document kind's screen, its lines'
        screen and its REST API), each exposing only some verbs. FAB's default prunes
        every verb the view at hand does not expose — from every role — so the last view
        registered would strip the others' verbs. The permissions are data
        (permissions.py); nothing is pruned behind a role administrator's back.
        """
        self.add_view_menu(view_menu)
        for permission in base_permissions:
            self.add_permission_view_menu(permission, view_menu)

    def _grant_everything(self, role) -> None:
        """The administrator profile holds every permission there is."""
        from flask_appbuilder.security.sqla.models import PermissionView

        role.permissions = self.session.query(PermissionView).all()
        self.session.commit()


class _Named:
    """A role as far as FAB's builtin-role check looks at it: its name."""

    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name
