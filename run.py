"""Start the console in demo mode: migrate, bootstrap, load demo data, serve on 127.0.0.1.

Production does not use this file: it runs ``gunicorn 'app:create_app()'`` (see README).
"""

from __future__ import annotations

import logging
import os
import signal
import sys
from datetime import UTC, datetime
from zoneinfo import ZoneInfo


def main() -> int:
    """Prepare the demo database and serve the console until interrupted."""
    os.environ.setdefault("RENKEI_ENV", "demo")
    # The demo's providers are the sandboxes on this loopback server, over plain http.
    os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")
    from flask_migrate import upgrade

    from app import create_app
    from app.cli import bootstrap, ensure_demo_users
    from app.extensions import db
    from app.services.connections import DEMO_CONNECTIONS, ensure_demo_connections
    from app.services.demo_data import load_demo_data

    app = create_app()
    port = int(os.environ.get("PORT", "8080"))
    with app.app_context():
        upgrade()
        bootstrap()
        logins = ensure_demo_users()
        sm = app.appbuilder.sm
        owners = [sm.find_user(username=u).id for u, _, _ in logins]
        load_demo_data(db.session, owners=owners)
    host = "127.0.0.1" if app.config["DEMO_MODE"] else os.environ.get("HOST", "127.0.0.1")
    if app.config["SANDBOX_ENABLED"]:
        with app.app_context():
            ensure_demo_connections(db.session, f"http://{host}:{port}")
    print(f"\nRenkei is running at http://{host}:{port}/", flush=True)
    print("Demo logins (user / password — profile):", flush=True)
    for username, password, role in logins:
        print(f"  {username} / {password} — {role}", flush=True)
    if app.config["SANDBOX_ENABLED"]:
        print(
            "Providers: built-in sandboxes at /sandbox/moneyforward/, /sandbox/zoho/,"
            " /sandbox/freee/.",
            flush=True,
        )
        names = ", ".join(demo.name for demo in DEMO_CONNECTIONS)
        print(f"Ready to connect: {names}.", flush=True)
        print("Integrations → Connections → open one → Connect.", flush=True)
    if not app.config.get("REDIS_URL"):
        # No rq cron without Redis: one thread here pulls statuses at 09:00 and 18:00 JST.
        from app.jobs.demo_schedule import next_run, start_scheduler

        start_scheduler(app)
        nxt = next_run(datetime.now(UTC)).astimezone(ZoneInfo("Asia/Tokyo"))
        print(f"Next scheduled status pull: {nxt:%Y-%m-%d %H:%M} (Asia/Tokyo).", flush=True)
    print("Stop with Ctrl+C.\n", flush=True)
    return serve(app, host, port)


def serve(app, host: str, port: int) -> int:
    """Serve until Ctrl+C or SIGTERM, then stop at once.

    SIGTERM gets a handler of its own: as PID 1 in a container a process without one
    never receives it. Stopping does not wait for open requests (a slow download) or
    in-process jobs stuck on a provider: their sync runs stop beating and are marked
    unknown, with a Retry that looks the document up first (services/sync/runs.py).
    """
    signal.signal(signal.SIGTERM, _interrupt)
    code = 0
    try:
        app.run(host=host, port=port, threaded=True, use_reloader=False)
    except BaseException as exc:  # any end is an end: say why, then stop
        if not isinstance(exc, KeyboardInterrupt | SystemExit):
            print(f"Renkei stopped on an error: {exc}", file=sys.stderr, flush=True)
            code = 1
    finally:
        from app.jobs.demo_schedule import stop_scheduler

        stop_scheduler()
        print("Renkei stopped.", flush=True)
        logging.shutdown()
        os._exit(code)  # never wait on non-daemon threads (job pool, open streams)


def _interrupt(signum, frame):
    """SIGTERM stops the server the way Ctrl+C does."""
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
