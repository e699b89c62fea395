"""What a user may do: one query per user, cached for the current request.

FAB asks the database once per permission check (``exist_permission_on_roles``); a page
makes dozens. Here the signed-in user's (permission, view menu) pairs are read with ONE
query — user → roles (direct and through groups) → permissions → view menus — and kept on
``flask.g`` for the current request only, so a role edited by an administrator is seen by
the next request. Outside a request (jobs, CLI) every question reads the roles as they
are *now* in the database, by user id, with the same single query: it selects plain
rows, so it never returns stale objects from the session's identity map (and does not
expire the session, which made a document page re-read the document and its lines).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, g, has_request_context, request
from flask_appbuilder.security.sqla.models import (
    Permission,
    PermissionView,
    Role,
    User,
    ViewMenu,
    assoc_group_role,
    assoc_permissionview_role,
    assoc_user_group,
    assoc_user_role,
)
from sqlalchemy import select, true, union

from app.services.errors import Forbidden

CREATE_AT_PROVIDER = ("can_create_at_provider", "ProviderDocument")
# Pulling billing statuses calls the providers: not for read-only profiles.
REFRESH_STATUSES = ("can_refresh_statuses", "ProviderDocument")

_G_KEY = "_renkei_rights"


@dataclass(frozen=True)
class Rights:
    """A user's roles and (permission, view menu) pairs, as read in one query."""

    user_id: int
    active: bool
    role_names: frozenset[str]
    pairs: frozenset[tuple[str, str]]


def load_rights(session, user_id: int) -> Rights | None:
    """Read ``user_id``'s activity, roles and rights in one statement (None: no such user)."""
    role_ids = union(
        select(assoc_user_role.c.role_id.label("role_id")).where(
            assoc_user_role.c.user_id == user_id
        ),
        select(assoc_group_role.c.role_id.label("role_id"))
        .join(assoc_user_group, assoc_user_group.c.group_id == assoc_group_role.c.group_id)
        .where(assoc_user_group.c.user_id == user_id),
    ).subquery()
    roles = select(Role.id, Role.name).join(role_ids, role_ids.c.role_id == Role.id).subquery()
    stmt = (
        select(User.active, roles.c.name, Permission.name, ViewMenu.name)
        .select_from(User)
        .outerjoin(roles, true())  # every role of the user
        .outerjoin(assoc_permissionview_role, assoc_permissionview_role.c.role_id == roles.c.id)
        .outerjoin(
            PermissionView, PermissionView.id == assoc_permissionview_role.c.permission_view_id
        )
        .outerjoin(Permission, Permission.id == PermissionView.permission_id)
        .outerjoin(ViewMenu, ViewMenu.id == PermissionView.view_menu_id)
        .where(User.id == user_id)
    )
    rows = session.execute(stmt).all()
    if not rows:
        return None
    return Rights(
        user_id=user_id,
        active=bool(rows[0][0]),
        role_names=frozenset(r[1] for r in rows if r[1] is not None),
        pairs=frozenset((r[2], r[3]) for r in rows if r[2] is not None and r[3] is not None),
    )


def _signed_in_user_id() -> int | None:
    """The id of the user signed in for the current request, if any."""
    if not has_request_context():
        return None
    user = g.get("user")
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    try:
        return user.get_id() and int(user.get_id())
    except (TypeError, ValueError):
        return getattr(user, "id", None)


def request_rights(user_id: int) -> Rights | None:
    """``user_id``'s rights, read once per request when it is the signed-in user.

    The cache is tied to the request object itself (not only to ``g``, which a test or a
    CLI may keep across requests), so the next request always reads again.
    """
    sm = current_app.appbuilder.sm
    if user_id != _signed_in_user_id():
        return load_rights(sm.session, user_id)
    current = request._get_current_object()
    cached = g.get(_G_KEY)
    if cached is not None and cached[0] is current and cached[1].user_id == user_id:
        return cached[1]
    rights = load_rights(sm.session, user_id)
    if rights is not None:
        setattr(g, _G_KEY, (current, rights))
    return rights


def forget_request_rights() -> None:
    """Drop the request's cached rights (after this request changed the user's roles)."""
    g.pop(_G_KEY, None)


def user_may(user, permission: str, resource: str) -> bool:
    """Whether the active ``user`` (a User or a user id) holds ``permission`` on ``resource``."""
    user_id = getattr(user, "id", user)
    if user_id is None:
        return False
    sm = current_app.appbuilder.sm
    rights = request_rights(user_id)
    if rights is None or not rights.active:
        return False
    if sm.auth_role_admin in rights.role_names:
        return True
    return (permission, resource) in rights.pairs


def require(user_id: int | None, permission: str, resource: str) -> None:
    """Raise Forbidden unless ``user_id`` may; the message says what is missing."""
    if not user_may(user_id, permission, resource):
        raise Forbidden(
            f"The user who started this work may no longer do it ({permission} on "
            f"{resource}); nothing was done. Ask an administrator to check the profile."
        )
