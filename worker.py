"""An RQ worker for Renkei: ``python worker.py [queue ...]``. Run as many as needed.

It needs REDIS_URL and the same DATABASE_URL and SECRET_KEY as the web app. Queues
default to ``default``; a worker started with --with-scheduler also runs delayed jobs.
"""

from __future__ import annotations

import argparse
import logging
import sys


def main(argv: list[str] | None = None) -> int:
    """Start a worker on the given queues until stopped."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("queues", nargs="*", default=["default"])
    parser.add_argument("--burst", action="store_true", help="stop when the queues are empty")
    parser.add_argument("--with-scheduler", action="store_true")
    args = parser.parse_args(argv)

    from rq import Queue, Worker

    from app import create_app
    from app.jobs.queue import redis_connection, set_worker_app

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    app = create_app()
    if not app.config.get("REDIS_URL"):
        print(
            "REDIS_URL is not set: in demo mode jobs run inside the web process.", file=sys.stderr
        )
        return 2
    set_worker_app(app)
    connection = redis_connection(app)
    queues = [Queue(name, connection=connection) for name in args.queues]
    Worker(queues, connection=connection).work(burst=args.burst, with_scheduler=args.with_scheduler)
    return 0


if __name__ == "__main__":
    sys.exit(main())
