"""Benchmark: a first customer sync of companies and products to the Money Forward
sandbox at its real limit of 3 writes per second, then a second run with 1 % of them
changed (the calls it makes).

The issue's size is 10,000 companies and 2,000 products; at 3 writes/s that first run
needs at least 12,000 / 3 = 4,000 s. ``BENCH_CUSTOMERS`` (default 300) sets the number
of companies, products are a fifth of them; the table extrapolates to the full size
from the measured rate.
"""

from __future__ import annotations

import os
import time
from decimal import Decimal

FULL_COMPANIES, FULL_PRODUCTS = 10_000, 2_000


def _writes(sandbox, since):
    return [
        e
        for e in sandbox.log.since()
        if e["time"] >= since
        and e["method"] in ("POST", "PUT", "PATCH", "DELETE")
        and "/_sandbox" not in e["path"]
    ]


def run() -> dict:
    import redis

    from app.extensions import db
    from app.models.crm import Company, Product
    from app.models.sync import SyncRun
    from app.sandbox import sandboxes_of
    from app.services.sync import customer_runs
    from tests.bench.common import REDIS_URL, bench_app, connected_mf, write_result

    companies_n = int(os.environ.get("BENCH_CUSTOMERS", "300"))
    products_n = max(1, companies_n // 5)
    redis.Redis.from_url(REDIS_URL).flushdb()
    with bench_app() as (app, server), app.app_context():
        admin = app.appbuilder.sm.find_user(username="admin")
        db.session.add_all(
            Company(code=f"BC-{i:05d}", name=f"ベンチ商事 {i}", phone="03-0000-0000")
            for i in range(companies_n)
        )
        db.session.add_all(
            Product(
                code=f"BP-{i:05d}", name=f"ベンチ品 {i}", unit="個", unit_price=Decimal(100 + i)
            )
            for i in range(products_n)
        )
        db.session.commit()
        connection = connected_mf(db.session, server.url)
        customer_runs.save_settings(connection, None, sync_products=True)
        sandbox = sandboxes_of(app)["moneyforward"]

        def one_run():
            mark = time.time()
            run = customer_runs.request_customer_sync(connection, admin)
            started = time.perf_counter()
            customer_runs.perform_customer_sync(run.id)
            seconds = time.perf_counter() - started
            db.session.expire_all()
            run = db.session.get(SyncRun, run.id)
            writes = _writes(sandbox, mark)
            span = writes[-1]["time"] - writes[0]["time"] if len(writes) > 1 else 0.0
            return run, seconds, writes, span

        first, first_s, first_w, first_span = one_run()
        changed = max(1, companies_n // 100)
        for company in db.session.query(Company).order_by(Company.id).limit(changed):
            company.phone = "03-1111-1111"
        for product in (
            db.session.query(Product).order_by(Product.id).limit(max(1, products_n // 100))
        ):
            product.unit_price += 1
        db.session.commit()
        second, second_s, second_w, second_span = one_run()
        rate = (len(first_w) - 1) / first_span if first_span else None
        writes_full = FULL_COMPANIES + FULL_PRODUCTS
        rows = {
            "companies / products": f"{companies_n} / {products_n}",
            "first run: status": first.status,
            "first run: created / failed": f"{first.created} / {first.failed}",
            "first run: API calls": first.api_calls,
            "first run: writes": len(first_w),
            "first run: seconds": round(first_s, 1),
            "first run: writes/s while working": round(rate, 2) if rate else None,
            "allowed writes/s": 3,
            "answered 429": sum(1 for e in first_w if e["status"] == 429),
            "partners at the provider": len(sandbox.state["partners"]),
            "items at the provider": len(sandbox.state["items"]),
            "extrapolated first run, 10,000 + 2,000 (s)": (
                round(writes_full / rate) if rate else None
            ),
            "second run (1 % changed): updated": second.updated,
            "second run: API calls": second.api_calls,
            "second run: writes": len(second_w),
            "second run: seconds": round(second_s, 1),
            "note": (
                "a company is 1 write (partner with its department) when new, 2 when changed "
                "(partner, department); a product 1; reads: the provider's partner and item "
                "lists once a run, and only when something is new"
            ),
        }
        write_result("customer_sync", rows)
        redis.Redis.from_url(REDIS_URL).flushdb()
        return rows
