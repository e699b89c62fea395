"""Row locks for state-changing verbs: lock, re-read, re-check, commit once.

PostgreSQL: ``SELECT … FOR UPDATE`` on the row, so a second transaction waits until the
first commits and then sees its result. SQLite (the demo): Python's sqlite3 driver runs
reads outside a transaction and opens one at the first write, so a no-op UPDATE of the
row takes SQLite's write lock (RESERVED) at once; any other writer waits for our commit
(the engine's busy timeout), then re-reads. Either way the instance is reloaded after
the lock, so the verb re-checks its rule against what is committed now.
"""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db


def lock(instance):
    """Lock ``instance``'s row until the transaction ends, reload it, and return it.

    Call it first in a verb, before reading anything the rule depends on: unflushed
    changes to ``instance`` are discarded by the reload.
    """
    mapper = sa.inspect(instance).mapper
    table = mapper.local_table
    (pk_column,) = table.primary_key.columns
    pk = mapper.primary_key_from_instance(instance)[0]
    session = db.session
    if session.get_bind().dialect.name == "sqlite":
        session.execute(
            table.update().where(pk_column == pk).values({pk_column.name: pk_column}),
            execution_options={"synchronize_session": False},
        )
    session.refresh(instance, with_for_update=True)
    return instance


def lock_by_id(model, ident):
    """Load ``model`` row ``ident`` locked (see ``lock``); None when it does not exist."""
    instance = db.session.get(model, ident)
    if instance is None:
        return None
    return lock(instance)
