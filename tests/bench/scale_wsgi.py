"""The two apps the scale benchmark serves under gunicorn, each counting its statements.

``renkei()`` is Renkei as production builds it (``create_app()``, settings from the
environment); ``stock()`` is the plain Flask-AppBuilder app of tests/bench/stock_fab.py.
Both answer with an ``X-Bench-Statements`` header: the SQL statements the request sent,
counted by a ``before_cursor_execute`` listener. Only these bench entry points add it.
"""

from __future__ import annotations

from flask import Flask, request
from sqlalchemy import event

HEADER = "X-Bench-Statements"


def count_statements(app: Flask, engine) -> None:
    """Count each request's statements (sync workers: one request at a time per process)."""
    state = {"count": 0}

    def listen(conn, cursor, statement, parameters, context, executemany):
        state["count"] += 1

    event.listen(engine, "before_cursor_execute", listen)

    def reset():
        state["count"] = 0

    def report(response):
        if not request.path.startswith("/static"):
            response.headers[HEADER] = str(state["count"])
        return response

    # first: the signed-in user's load in FAB's own before_request is part of the page
    app.before_request_funcs.setdefault(None, []).insert(0, reset)
    app.after_request(report)


def renkei() -> Flask:
    from app import create_app
    from app.extensions import db

    app = create_app()
    with app.app_context():
        count_statements(app, db.engine)
    return app


def stock() -> Flask:
    from tests.bench.stock_fab import create

    app, db = create()
    with app.app_context():
        count_statements(app, db.engine)
    return app
