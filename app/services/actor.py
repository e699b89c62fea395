"""Who is acting: the signed-in user in a request, or the user a job or CLI runs for.

The audit trail stamps every change with this, whatever door the change came through.
"""

from __future__ import annotations

import contextlib
from contextvars import ContextVar
from dataclasses import dataclass

from flask import has_request_context
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
    if has_request_context() and getattr(current_user, "is_authenticated", False):
        return Actor(current_user.id, current_user.username)
    return SYSTEM
