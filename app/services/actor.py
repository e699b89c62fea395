"""Who is acting: the signed-in user in a request, or the user a job or CLI runs for.

The audit trail stamps every change with this, whatever door the change came through:
a screen's session (flask_login), a REST call's JWT (FAB's ``@protect`` verifies it and
its user loader sets ``g.user``; flask_jwt_extended's current user otherwise), or a job
or service that says whom it acts for with ``acting_as``.
"""

from __future__ import annotations

import contextlib
from contextvars import ContextVar
from dataclasses import dataclass

from flask import g, has_request_context
from flask_login import current_user


@dataclass(frozen=True)
class Actor:
    """The acting user's id and login (None for the system itself)."""

    id: int | None
    username: str


SYSTEM = Actor(None, "system")
_acting: ContextVar[Actor | None] = ContextVar("renkei_actor", default=None)


def actor_of(user) -> Actor:
    """An Actor for a User (or SYSTEM for None)."""
    if user is None:
        return SYSTEM
    return Actor(user.id, user.username)


@contextlib.contextmanager
def acting_as(user):
    """Within the block, changes are made by ``user`` (a User, or None for the system)."""
    token = _acting.set(actor_of(user))
    try:
        yield
    finally:
        _acting.reset(token)


def current_actor() -> Actor:
    """The explicit actor if one is set, else the signed-in user, else the system."""
    explicit = _acting.get()
    if explicit is not None:
        return explicit
    if has_request_context():
        user = request_user()
        if user is not None:
            return Actor(user.id, user.username)
    return SYSTEM


def _signed_in(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "id", None))


def request_user():
    """The user behind this request, whichever way they signed in, or None."""
    if _signed_in(current_user):  # the screen's session
        return current_user
    user = g.get("user")  # FAB's JWT (and API key) user loader sets g.user
    if _signed_in(user):
        return user
    try:  # a JWT verified in this request whose loader did not set g.user
        from flask_jwt_extended import get_current_user

        user = get_current_user()
    except Exception:  # no JWT was verified in this request
        return None
    return user if _signed_in(user) else None
