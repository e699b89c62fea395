"""Each test run holds its own Redis db: claims are distinct, kept alive, and given back."""

import redis

from tests.conftest import REDIS_URL
from tests.redis_claim import KEY, claim_db

SERVER = "redis://127.0.0.1:6379"


def test_runs_claim_distinct_dbs_and_give_them_back():
    ours = int(REDIS_URL.rsplit("/", 1)[1])
    locks = redis.Redis.from_url(SERVER, db=0)
    assert locks.get(KEY.format(ours)), "this run holds no claim on its own db"
    first, second = claim_db(SERVER), claim_db(SERVER)
    try:
        assert len({ours, first.db, second.db}) == 3
        assert 0 < locks.ttl(KEY.format(first.db)) <= 60
        assert locks.get(KEY.format(second.db)) == second.owner.encode()
    finally:
        first.release()
        second.release()
    assert locks.get(KEY.format(first.db)) is None
    assert locks.get(KEY.format(second.db)) is None
    assert locks.get(KEY.format(ours)), "releasing others' claims left ours alone"
