"""Permission checks that work outside a request (services, jobs, CLI).

FAB's ``sm.has_access`` reads ``g.user``; here the user is passed in and its roles are
read from the database as they are now (the Admin role holds every permission).
"""

from __future__ import annotations

from app.security import rights


def user_may(user, permission: str, resource: str) -> bool:
    """Whether ``user`` (a User or a user id) holds ``permission`` on ``resource``."""
    user_id = getattr(user, "id", user)
    return rights.user_may(user_id, permission, resource)


CREATE_AT_PROVIDER = ("can_create_at_provider", "ProviderDocument")
