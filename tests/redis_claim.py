"""One Redis db per test run: two runs on one machine never flush each other's keys.

A run claims a db number (1–15) by ``SET renkei:test-claim:<n> <owner> NX EX 60`` in
db 0, keeps the claim alive from a daemon thread and deletes it at exit; a run killed
without exiting loses its claim a minute later. A db that is not empty is passed over
on the first round (someone may use it without claiming). A run given an explicit URL
claims that db too, so automatic claims keep away from it.
"""

from __future__ import annotations

import atexit
import os
import secrets
import threading
from urllib.parse import urlsplit, urlunsplit

import redis

TTL = 60
DBS = range(1, 16)
KEY = "renkei:test-claim:{}"


class Claim:
    """A claimed db number, refreshed until ``release``."""

    def __init__(self, server: redis.Redis, db: int, owner: str):
        self.server, self.db, self.owner = server, db, owner
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._refresh, daemon=True, name="redis-claim")
        self._thread.start()

    def _refresh(self) -> None:
        while not self._stop.wait(TTL / 3):
            try:
                self.server.set(KEY.format(self.db), self.owner, ex=TTL)
            except redis.RedisError:
                pass  # Redis went away: the tests using it fail on their own

    def release(self) -> None:
        """Stop refreshing and give the db back (only if the claim is still ours)."""
        self._stop.set()
        try:
            if self.server.get(KEY.format(self.db)) == self.owner.encode():
                self.server.delete(KEY.format(self.db))
        except redis.RedisError:
            pass


def _db(server_url: str, db: int) -> redis.Redis:
    """``server_url``'s server, db ``db`` (a db in the URL's path would win over a db= argument)."""
    return redis.Redis.from_url(urlunsplit(urlsplit(server_url)._replace(path=f"/{db}")))


def claim_db(server_url: str, db: int | None = None) -> Claim:
    """Claim ``db``, or the first free db of 1–15 (empty ones first); raise when none is free."""
    server = _db(server_url, 0)
    owner = f"{os.uname().nodename}:{os.getpid()}:{secrets.token_hex(4)}"
    if db is not None:
        server.set(KEY.format(db), owner, ex=TTL)
        return Claim(server, db, owner)
    for need_empty in (True, False):
        for number in DBS:
            if need_empty and _db(server_url, number).dbsize():
                continue
            if server.set(KEY.format(number), owner, nx=True, ex=TTL):
                return Claim(server, number, owner)
    raise RuntimeError("every Redis db 1-15 is claimed by another test run")


def run_redis_url(variable: str, server_url: str = "redis://127.0.0.1:6379") -> str:
    """The URL in ``variable`` if set, else a db claimed for this run; claimed either way."""
    explicit = os.environ.get(variable)
    try:
        if explicit:
            db = redis.Redis.from_url(explicit).connection_pool.connection_kwargs.get("db", 0)
            if not db:
                return explicit  # db 0 is nobody's to claim
            claim = claim_db(explicit, db)
        else:
            claim = claim_db(server_url)
    except redis.RedisError:
        return explicit or f"{server_url}/13"  # no Redis: the tests that need it fail
    atexit.register(claim.release)
    return explicit or f"{server_url}/{claim.db}"
