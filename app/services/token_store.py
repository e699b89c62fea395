"""A connection's OAuth tokens in its database row, locked while one worker refreshes.

``locked()`` opens its own transaction and takes the row with SELECT … FOR UPDATE, so a
second worker refreshing the same connection waits, then re-reads the rotated token
instead of spending the old refresh token again. SQLite (the demo, one process) has no
row locks: a process-wide lock per connection stands in.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC

from sqlalchemy.orm import Session

from app.models.connection import Connection
from app.providers.tokens import TokenSet

_LOCAL_LOCKS: defaultdict[int, threading.Lock] = defaultdict(threading.Lock)


def tokens_of(connection: Connection) -> TokenSet | None:
    """The connection's tokens as a TokenSet (expiry made timezone-aware UTC)."""
    if not connection.access_token:
        return None
    expires = connection.token_expires_at
    return TokenSet(
        access_token=connection.access_token,
        refresh_token=connection.refresh_token,
        expires_at=expires.replace(tzinfo=UTC) if expires else None,
    )


def store_tokens(connection: Connection, tokens: TokenSet) -> None:
    """Write ``tokens`` onto the connection row (encrypted by the column type)."""
    connection.access_token = tokens.access_token
    connection.refresh_token = tokens.refresh_token
    expires = tokens.expires_at
    connection.token_expires_at = expires.astimezone(UTC).replace(tzinfo=None) if expires else None
    connection.token_version = (connection.token_version or 0) + 1


class ConnectionTokenStore:
    """TokenStore (app.providers.tokens) backed by the ``connection`` table."""

    def __init__(self, engine, connection_id: int):
        self.engine = engine
        self.connection_id = connection_id
        self._session: Session | None = None  # set while locked()

    def load(self) -> TokenSet | None:
        if self._session is not None:
            return tokens_of(self._row(self._session))
        with Session(self.engine) as session:
            return tokens_of(self._row(session))

    def save(self, tokens: TokenSet) -> None:
        if self._session is not None:
            store_tokens(self._row(self._session), tokens)
            self._session.flush()
            return
        with Session(self.engine) as session, session.begin():
            store_tokens(self._row(session, lock=True), tokens)

    @contextmanager
    def locked(self) -> Iterator[None]:
        local = _LOCAL_LOCKS[self.connection_id] if self.engine.dialect.name == "sqlite" else None
        if local is not None:
            local.acquire()
        try:
            with Session(self.engine) as session, session.begin():
                self._row(session, lock=True)
                self._session = session
                try:
                    yield
                finally:
                    self._session = None
        finally:
            if local is not None:
                local.release()

    def _row(self, session: Session, lock: bool = False) -> Connection:
        row = session.get(
            Connection, self.connection_id, with_for_update=lock, populate_existing=True
        )
        if row is None:
            raise LookupError(f"connection {self.connection_id} no longer exists")
        return row
