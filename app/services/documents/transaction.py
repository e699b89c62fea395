"""One transaction per document verb: lock the row, re-check, change, commit once.

``locked`` wraps a verb's body: it locks the row (services.locking.lock, which reloads
it) and, when the verb refuses or fails, rolls the transaction back at once, so the lock
is never held past the refusal, whoever called the verb (a screen, the API, a job).
"""

from __future__ import annotations

from contextlib import contextmanager

from app.extensions import db
from app.services.locking import lock


@contextmanager
def locked(instance):
    """Lock ``instance``'s row for the block; roll back if the block raises."""
    try:
        yield lock(instance)
    except BaseException:
        db.session.rollback()
        raise
