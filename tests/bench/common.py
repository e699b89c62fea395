"""Shared setup of the sync benchmarks: a PostgreSQL database, the app served over HTTP
with its sandboxes, a connected Money Forward connection, and result files."""

from __future__ import annotations

import datetime as dt
import json
import os
from contextlib import contextmanager
from pathlib import Path

# Its own Redis db: the test suite flushes db 13 whenever a test starts.
REDIS_URL = os.environ.get("RENKEI_BENCH_REDIS_URL", "redis://127.0.0.1:6379/11")
# The port the app and its sandboxes listen on (0: any free port).
PORT = int(os.environ.get("RENKEI_BENCH_PORT", "0"))
RESULTS = Path(__file__).resolve().parents[2] / "bench-results"


@contextmanager
def bench_app():
    """(app, server) on a throw-away PostgreSQL database, dropped afterwards."""
    from tests.conftest import LiveServer, build_app, drop_database, make_database

    url = make_database()
    try:
        app = build_app(url, REDIS_URL=REDIS_URL)
        with LiveServer(app, PORT) as server:
            yield app, server
        from app.extensions import db

        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    finally:
        drop_database(url)


def connected_mf(session, root: str):
    """A connected Money Forward connection on the sandbox at ``root``."""
    from tests.factories import make_connected_mf

    return make_connected_mf(session, root, "MF bench", dt.timedelta(hours=2))


def write_result(name: str, rows: dict) -> Path:
    """Write ``rows`` to bench-results/<name>.json and print them as a small table."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(rows, indent=2, ensure_ascii=False, default=str))
    width = max(len(k) for k in rows)
    print(f"\n== {name} ==")
    for key, value in rows.items():
        print(f"  {key:<{width}}  {value}")
    return path
