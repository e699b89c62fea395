"""gunicorn settings of Renkei, read by ``gunicorn 'app:create_app()'`` run from this folder.

Python's garbage collector. A loaded Renkei holds about a million long-lived objects
(Flask-AppBuilder's views, SQLAlchemy's mappers, translations, templates). With Python's
default thresholds (700, 10, 10) a full collection walks them all — about 200 ms — and one
came about every fourth request, doubling the p95 of every page (issue 15). So, once the
app is loaded in a worker:

- ``gc.freeze()`` moves everything alive then into a permanent generation that no
  collection walks again (the app itself is never garbage);
- the thresholds are raised so young collections come after tens of thousands of
  allocations rather than 700, and older ones rarely; a request's own garbage is freed
  by reference counting anyway, the collector only finds cycles.

``RENKEI_GC_THRESHOLDS`` ("50000,20,100" by default; empty keeps Python's) overrides them.

The production recipe (README, Procfile: ``gunicorn -c gunicorn.conf.py 'app:create_app()'``):
PORT (default 8000) or RENKEI_BIND (e.g. 127.0.0.1:8000, unix:/run/renkei.sock),
WEB_CONCURRENCY (worker processes, default 2), RENKEI_WEB_TIMEOUT (seconds, default 60).
Command-line options (``--workers``, ``--bind`` …) still win over these.
"""

from __future__ import annotations

import gc
import os

DEFAULT_GC_THRESHOLDS = (50_000, 20, 100)

bind = os.environ.get("RENKEI_BIND") or f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
timeout = int(os.environ.get("RENKEI_WEB_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# Load the app once in the master, then fork: workers share its memory pages.
preload_app = True
accesslog = "-"
errorlog = "-"


def gc_thresholds(value: str | None) -> tuple[int, ...] | None:
    """The thresholds from ``RENKEI_GC_THRESHOLDS`` (None: Python's own)."""
    if value is None:
        return DEFAULT_GC_THRESHOLDS
    parts = [p.strip() for p in value.split(",") if p.strip()]
    return tuple(int(p) for p in parts) or None


def tune_gc() -> None:
    """Freeze what the loaded app holds and raise the collector's thresholds."""
    gc.collect()
    gc.freeze()
    thresholds = gc_thresholds(os.environ.get("RENKEI_GC_THRESHOLDS"))
    if thresholds:
        gc.set_threshold(*thresholds)


def post_worker_init(worker) -> None:
    """gunicorn hook: runs in each worker once it has loaded the app."""
    tune_gc()


def post_fork(server, worker) -> None:
    """gunicorn hook: each worker opens database connections of its own (never the
    preloaded master's pooled ones)."""
    from app.extensions import db

    flask_app = server.app.wsgi()
    with flask_app.app_context():
        db.engine.dispose(close=False)
