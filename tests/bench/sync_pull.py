"""Benchmark: a status refresh of 10,000 invoices at the Money Forward sandbox.

The sandbox store and our tables are seeded in bulk (one real invoice is created over
HTTP, then cloned 9,999 times in the sandbox's store); 1 % of the billings changed
since the last pull. The refresh asks for what changed, page by page. It is compared
with polling one GET per invoice, measured on a sample and extrapolated (said so).
"""

from __future__ import annotations

import copy
import datetime as dt
import time
import uuid
from decimal import Decimal

N = 10_000
CHANGED = N // 100
SAMPLE = 200


def _seed(app, connection, deal_template) -> list[str]:
    from app.extensions import db
    from app.models.crm import Deal
    from app.models.sync import ExternalDocument
    from app.sandbox import sandboxes_of
    from app.sandbox.common import iso

    mf = sandboxes_of(app)["moneyforward"]
    billings = mf.state["billings"]
    (original,) = billings.values()
    old = iso(dt.datetime.now(dt.UTC) - dt.timedelta(days=10))
    fresh = iso(dt.datetime.now(dt.UTC))
    ids = []
    with mf.store.write():
        billings.clear()
        for i in range(N):
            clone = copy.deepcopy(original)
            clone["id"] = uuid.uuid4().hex[:22]
            clone["updated_at"] = fresh if i < CHANGED else old
            clone["payment_status"] = "2" if i < CHANGED else "0"
            billings[clone["id"]] = clone
            ids.append(clone["id"])
    deal_rows = [
        {
            "title": f"Bench deal {i}",
            "company_id": deal_template.company_id,
            "stage": "won",
            "probability": 100,
            "currency": "JPY",
            "amount": Decimal(1000),
            "billing_status": "draft",
        }
        for i in range(N)
    ]
    db.session.execute(db.delete(ExternalDocument))
    result = db.session.execute(db.insert(Deal).returning(Deal.id), deal_rows)
    deal_ids = [row[0] for row in result]
    db.session.execute(
        db.insert(ExternalDocument),
        [
            {
                "connection_id": connection.id,
                "deal_id": deal_id,
                "kind": "invoice",
                "reference": f"rk-bench-{i}",
                "external_id": ids[i],
                "currency": "JPY",
                "billing_status": "draft",
                "deleted_at_provider": False,
                "created_by_automation": False,
            }
            for i, deal_id in enumerate(deal_ids)
        ],
    )
    connection.statuses_pulled_until = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(
        days=2
    )
    db.session.commit()
    return ids


def run() -> dict:
    """Seed, pull once, poll a sample; return the figures."""
    import redis

    from app.extensions import db
    from app.models.crm import Company, Deal
    from app.models.sync import SyncRun
    from app.services.sync.clients import client_for
    from app.services.sync.issuing import invoice_deal
    from app.services.sync.refresh import perform_refresh
    from tests.bench.common import bench_app, connected_mf, write_result
    from tests.conftest import drain_queues
    from tests.factories import ensure_issuer

    with bench_app() as (app, server), app.app_context():
        company = Company(code="B-1", name="ベンチ株式会社", postal_code="100-0001")
        deal = Deal(
            title="seed",
            company=company,
            stage="won",
            probability=100,
            currency="JPY",
            amount=Decimal(1000),
        )
        db.session.add_all([company, deal])
        db.session.commit()
        connection = connected_mf(db.session, server.url)
        # the one real invoice: a Renkei document issued at the sandbox (its create job run)
        ensure_issuer(db.session)
        invoice_deal(deal, connection, app.appbuilder.sm.find_user(username="admin"))
        drain_queues(app, redis.Redis.from_url(app.config["REDIS_URL"]))
        ids = _seed(app, connection, deal)

        pull = SyncRun(kind="refresh_statuses")
        db.session.add(pull)
        db.session.commit()
        started = time.perf_counter()
        perform_refresh(pull.id)
        pull_seconds = time.perf_counter() - started
        db.session.refresh(pull)

        client, session = client_for(connection)
        started = time.perf_counter()
        for billing_id in ids[:SAMPLE]:
            client.get_billing(billing_id)
        sample_seconds = time.perf_counter() - started
        per_call = sample_seconds / SAMPLE
        rows = {
            "invoices": N,
            "changed since last pull": CHANGED,
            "pull: API calls": pull.api_calls,
            "pull: documents updated": pull.updated,
            "pull: seconds": round(pull_seconds, 2),
            "polling: API calls (one GET per invoice)": N,
            f"polling: seconds (measured on {SAMPLE}, extrapolated)": round(per_call * N, 1),
            "polling: seconds per call": round(per_call, 4),
            "pull within 3 calls": pull.api_calls <= 3,
        }
        write_result("sync_status_pull", rows)
        return rows
