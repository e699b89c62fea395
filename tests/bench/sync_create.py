"""Benchmark: 300 invoices created by two RQ worker processes against the Money Forward
sandbox and its real limit of 3 writes per second; duplicates must be 0."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

N = 300
COMPANIES = 10
WORKERS = 2
ROOT = Path(__file__).resolve().parents[2]


def run() -> dict:
    """Queue N invoices, drain the queue with two worker processes, count the outcome."""
    import redis

    from app.extensions import db
    from app.models.crm import Company, Deal
    from app.models.sync import SyncRun
    from app.sandbox import sandboxes_of
    from app.services.sync import request_invoice
    from tests.bench.common import REDIS_URL, RESULTS, bench_app, connected_mf, write_result
    from tests.factories import ensure_issuer

    redis.Redis.from_url(REDIS_URL).flushdb()
    with bench_app() as (app, server), app.app_context():
        admin = app.appbuilder.sm.find_user(username="admin")
        ensure_issuer(db.session)  # each invoice is a Renkei document first
        companies = [Company(code=f"BC-{i}", name=f"ベンチ商事 {i}") for i in range(COMPANIES)]
        deals = [
            Deal(
                title=f"Bench invoice {i}",
                company=companies[i % COMPANIES],
                stage="won",
                probability=100,
                currency="JPY",
                amount=Decimal(10_000 + i),
            )
            for i in range(N)
        ]
        db.session.add_all(companies + deals)
        db.session.commit()
        connection = connected_mf(db.session, server.url)
        for deal in deals:
            request_invoice(deal, connection, admin)
        RESULTS.mkdir(exist_ok=True)
        env = {**os.environ, "REDIS_URL": REDIS_URL}
        started = time.perf_counter()
        workers = [
            subprocess.Popen(
                [sys.executable, "worker.py", "--burst", "default"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=open(RESULTS / f"worker-{n}.log", "w"),
            )
            for n in range(WORKERS)
        ]
        for worker in workers:
            worker.wait()
        seconds = time.perf_counter() - started
        db.session.expire_all()
        runs = db.session.query(SyncRun).filter_by(kind="create_invoice").all()
        sandbox = sandboxes_of(app)["moneyforward"]
        billings = list(sandbox.state["billings"].values())
        # The rate the provider saw while the work ran: writes between the first and the
        # last one (worker start-up and the final reads are not the provider's business).
        writes = [
            e for e in sandbox.log.since() if e["method"] in ("POST", "PUT", "PATCH", "DELETE")
        ]
        span = writes[-1]["time"] - writes[0]["time"] if len(writes) > 1 else 0.0
        memos = [b.get("memo", "") for b in billings]
        rows = {
            "invoices queued": N,
            "worker processes": WORKERS,
            "invoices at the provider": len(billings),
            "duplicates": len(memos) - len(set(memos)),
            "failed runs": sum(1 for r in runs if r.status != "finished"),
            "seconds": round(seconds, 1),
            "achieved invoices/s": round(len(billings) / seconds, 2),
            "writes the provider saw": len(writes),
            "answered 429": sum(1 for e in writes if e["status"] == 429),
            "writes/s while working": round((len(writes) - 1) / span, 2) if span else None,
            "allowed writes/s": 3,
            "first failure": next((f.message for r in runs for f in r.failures), None),
            "unfinished runs (job crashed)": sum(
                1 for r in runs if r.status in ("queued", "running")
            ),
            "note": "each invoice is 1 write (partners: 1 more write per company, first time)",
        }
        write_result("sync_create_rate", rows)
        redis.Redis.from_url(REDIS_URL).flushdb()
        return rows
