"""Benchmark: a first customer sync of companies and products to the Money Forward
sandbox at its real limit of 3 writes per second, then a second run with 1 % of them
changed (the calls it makes).

The issue's size is 10,000 companies and 2,000 products; at 3 writes/s that first run
needs at least 12,000 / 3 = 4,000 s: ``python -m tests.bench customers --companies 10000
--products 2000``. By default 300 companies (or ``BENCH_CUSTOMERS``) and a fifth as many
products; the table extrapolates to the full size from the measured rate. While a run
works a line of progress is printed every ``BENCH_PROGRESS_SECONDS`` (60): writes so far,
429s, the rate against the limit — what a long run has reached if it is stopped.
"""

from __future__ import annotations

import os
import threading
import time
from decimal import Decimal

FULL_COMPANIES, FULL_PRODUCTS = 10_000, 2_000
WRITES = ("POST", "PUT", "PATCH", "DELETE")
LIMIT = 3


class Tally:
    """The provider's view of a run, read from the sandbox's request log as it goes (the
    log keeps the last 5,000 requests only, a full-size run makes 12,000 writes)."""

    def __init__(self, sandbox):
        self.sandbox = sandbox
        self.next = sandbox.log.since()[-1]["index"] + 1 if sandbox.log.since() else 0
        self.writes = self.refused = self.reads = 0
        self.first = self.last = None
        self.started = time.time()

    def read(self) -> None:
        """Count the requests answered since the last read."""
        for entry in self.sandbox.log.since(self.next):
            if entry["status"] is None:  # still being answered: next time
                break
            self.next = entry["index"] + 1
            if "/_sandbox" in entry["path"]:
                continue
            if entry["method"] not in WRITES:
                self.reads += 1
            elif entry["status"] == 429:
                self.refused += 1
            else:
                self.writes += 1
                self.first = self.first if self.first is not None else entry["time"]
                self.last = entry["time"]

    @property
    def rate(self) -> float | None:
        if self.first is None or self.last is None or self.last <= self.first:
            return None
        return (self.writes - 1) / (self.last - self.first)

    def line(self, label: str) -> str:
        rate = self.rate
        return (
            f"[{time.strftime('%H:%M:%S')}] {label}: {time.time() - self.started:.0f} s, "
            f"{self.writes} writes, {self.refused} x 429, {self.reads} reads, "
            + (f"{rate:.3f} writes/s = {rate / LIMIT * 100:.1f} % of {LIMIT}" if rate else "-")
            + f"; partners {len(self.sandbox.state['partners'])}, "
            f"items {len(self.sandbox.state['items'])}"
        )


def _watch(tally: Tally, label: str, stop: threading.Event) -> None:
    every = float(os.environ.get("BENCH_PROGRESS_SECONDS", "60"))
    while not stop.wait(min(every, 5)):
        tally.read()
        if time.time() - getattr(tally, "said", tally.started) >= every:
            tally.said = time.time()
            print(tally.line(label), flush=True)


def run(companies: int | None = None, products: int | None = None) -> dict:
    import redis

    from app.extensions import db
    from app.models.crm import Company, Product
    from app.models.sync import SyncRun
    from app.sandbox import sandboxes_of
    from app.services.sync import customer_runs
    from tests.bench.common import REDIS_URL, bench_app, connected_mf, write_result

    companies_n = companies or int(os.environ.get("BENCH_CUSTOMERS", "300"))
    products_n = products or max(1, companies_n // 5)
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

        def one_run(label):
            tally, stop = Tally(sandbox), threading.Event()
            watcher = threading.Thread(target=_watch, args=(tally, label, stop), daemon=True)
            watcher.start()
            run = customer_runs.request_customer_sync(connection, admin)
            started = time.perf_counter()
            customer_runs.perform_customer_sync(run.id)
            seconds = time.perf_counter() - started
            stop.set()
            watcher.join()
            time.sleep(0.2)
            tally.read()
            print(tally.line(label + " done"), flush=True)
            db.session.expire_all()
            return db.session.get(SyncRun, run.id), seconds, tally

        print(f"{companies_n} companies, {products_n} products; first run starts", flush=True)
        first, first_s, first_t = one_run("first run")
        changed = max(1, companies_n // 100)
        for company in db.session.query(Company).order_by(Company.id).limit(changed):
            company.phone = "03-1111-1111"
        for product in (
            db.session.query(Product).order_by(Product.id).limit(max(1, products_n // 100))
        ):
            product.unit_price += 1
        db.session.commit()
        second, second_s, second_t = one_run("second run")
        rate = first_t.rate
        writes_full = FULL_COMPANIES + FULL_PRODUCTS
        rows = {
            "companies / products": f"{companies_n} / {products_n}",
            "first run: status": first.status,
            "first run: created / failed": f"{first.created} / {first.failed}",
            "first run: API calls": first.api_calls,
            "first run: writes": first_t.writes,
            "first run: seconds": round(first_s, 1),
            "first run: writes/s while working": round(rate, 2) if rate else None,
            "allowed writes/s": LIMIT,
            "% of the limit": round(rate / LIMIT * 100, 1) if rate else None,
            "answered 429": first_t.refused + second_t.refused,
            "partners at the provider": len(sandbox.state["partners"]),
            "items at the provider": len(sandbox.state["items"]),
            "extrapolated first run, 10,000 + 2,000 (s)": (
                round(writes_full / rate) if rate else None
            ),
            "second run (1 % changed): updated": second.updated,
            "second run: API calls": second.api_calls,
            "second run: writes": second_t.writes,
            "second run: reads": second_t.reads,
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
