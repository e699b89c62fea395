"""What a given user may do, asked outside a request (jobs, CLI).

FAB's ``sm.has_access`` reads ``g.user``; jobs run for a user who is not signed in
here, so they ask by user id, against the roles as they are *now* in the database.
"""

from __future__ import annotations

from flask import current_app

from app.services.errors import Forbidden

CREATE_AT_PROVIDER = ("can_create_at_provider", "ProviderDocument")
# Pulling billing statuses calls the providers: not for read-only profiles.
REFRESH_STATUSES = ("can_refresh_statuses", "ProviderDocument")


def user_may(user, permission: str, resource: str) -> bool:
    """Whether the active ``user`` (a User or a user id) holds ``permission`` on ``resource``."""
    user_id = getattr(user, "id", user)
    if user_id is None:
        return False
    sm = current_app.appbuilder.sm
    sm.session.expire_all()  # roles may have changed since this session last looked
    user = sm.get_user_by_id(user_id)
    if user is None or not user.is_active:
        return False
    for role in user.roles:
        if role.name == sm.auth_role_admin:
            return True
        for pv in role.permissions:
            if pv.permission.name == permission and pv.view_menu.name == resource:
                return True
    return False


def require(user_id: int | None, permission: str, resource: str) -> None:
    """Raise Forbidden unless ``user_id`` may; the message says what is missing."""
    if not user_may(user_id, permission, resource):
        raise Forbidden(
            f"The user who started this work may no longer do it ({permission} on "
            f"{resource}); nothing was done. Ask an administrator to check the profile."
        )
