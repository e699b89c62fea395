"""Create the ready-made profiles once; afterwards role administrators own them."""

from __future__ import annotations

from app.security.permissions import FUTURE_PERMISSIONS, PROFILES, SELF_SERVICE, menu_permissions


def ensure_future_permissions(sm) -> None:
    """Create the permissions of features still to come, so profiles can hold them."""
    pairs = [(f"can_{verb}", resource) for verb, resource in FUTURE_PERMISSIONS]
    for permission, resource in pairs + menu_permissions(pairs):
        sm.add_permission_view_menu(permission, resource)


def seed_profiles(sm, reset: bool = False) -> list[str]:
    """Create each ready-made profile that does not exist (or every one, with ``reset``).

    A profile an administrator has edited is left alone unless ``reset`` is asked for.
    Returns the names of the profiles written.
    """
    written = []
    for name, pairs in PROFILES.items():
        role = sm.find_role(name)
        if role is not None and not reset:
            continue
        role = role or sm.add_role(name)
        wanted = [*pairs, *menu_permissions(pairs), *SELF_SERVICE]
        permissions = []
        for permission, view in wanted:
            pv = sm.find_permission_view_menu(permission, view)
            if pv is None:
                raise LookupError(f"profile {name}: no permission {permission} on {view}")
            permissions.append(pv)
        role.permissions = permissions
        sm.session.commit()
        written.append(name)
    return written


def rights_not_yet_created(sm) -> set[tuple[str, str]]:
    """The ready-made profiles' rights that do not exist yet: an upgrade introduces them."""
    return {
        pair
        for pairs in PROFILES.values()
        for pair in pairs
        if sm.find_permission_view_menu(*pair) is None
    }


def grant_introduced_rights(sm, introduced: set[tuple[str, str]]) -> list[str]:
    """Give each existing ready-made profile the rights just ``introduced`` that it defines.

    Only rights that did not exist before this bootstrap: a right an administrator took
    away from a profile stays away. Returns the profiles that gained something.
    """
    gained = []
    for name, pairs in PROFILES.items():
        role = sm.find_role(name)
        if role is None:
            continue
        new = [sm.find_permission_view_menu(*pair) for pair in pairs if pair in introduced]
        new = [pv for pv in new if pv is not None and pv not in role.permissions]
        if new:
            role.permissions.extend(new)
            gained.append(name)
    sm.session.commit()
    return gained
