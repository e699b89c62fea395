"""Benchmark: the receivables page at scale on PostgreSQL — p50/p95 of the summary
service and of the page (signed in, 50 rows), and the statements per page.

``python -m tests.bench receivables`` (RENKEI_BENCH_DOCUMENTS, RENKEI_BENCH_COMPANIES
change the size; default 100,000 invoices over 2,000 companies, written in bulk).
"""

from __future__ import annotations

import os
import re
import statistics
import time

from tests.bench.common import write_result


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return (
        round(statistics.median(ordered) * 1000, 1),
        round(ordered[int(len(ordered) * 0.95) - 1] * 1000, 1),
    )


def _signed_in(app):
    client = app.test_client()
    page = client.get("/login/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post("/login/", data={"username": "admin", "password": "admin", "csrf_token": token})
    return client


def run(documents: int | None = None, companies: int | None = None, rounds: int = 20) -> dict:
    """Seed, then time the summary and the page ``rounds`` times each."""
    from app.extensions import db
    from app.services.documents.lifecycle import today_tokyo
    from app.services.documents.receivables import summary
    from tests.bench.receivables_data import seed
    from tests.conftest import build_app, drop_database, make_database
    from tests.test_statement_counts import counting

    documents = documents or int(os.environ.get("RENKEI_BENCH_DOCUMENTS", 100_000))
    companies = companies or int(os.environ.get("RENKEI_BENCH_COMPANIES", 2_000))
    url = make_database()
    try:
        app = build_app(url, REDIS_URL=None)
        with app.app_context():
            started = time.perf_counter()
            seed(db.session, companies, documents, today_tokyo())
            db.session.execute(db.text("ANALYZE"))
            db.session.commit()
            seeded = time.perf_counter() - started
            service, pages = [], {}
            for sort in ("company", "open", "overdue", "oldest_due"):
                for _ in range(rounds // 4):
                    t0 = time.perf_counter()
                    result = summary(db.session, sort=sort, descending=sort != "company")
                    service.append(time.perf_counter() - t0)
            client = _signed_in(app)
            for _ in range(rounds):
                t0 = time.perf_counter()
                response = client.get("/receivables/?sort=overdue&desc=1")
                body = response.get_data()
                pages.setdefault("samples", []).append(time.perf_counter() - t0)
            with counting() as statements:
                client.get("/receivables/?sort=oldest_due&page=3")
            db.session.remove()
            db.engine.dispose()
        service_p50, service_p95 = _percentiles(service)
        page_p50, page_p95 = _percentiles(pages["samples"])
        rows = {
            "documents": documents,
            "companies": companies,
            "rows (company × currency)": result.count,
            "seed seconds": round(seeded, 1),
            "summary p50 ms": service_p50,
            "summary p95 ms": service_p95,
            "page p50 ms": page_p50,
            "page p95 ms": page_p95,
            "page HTML KiB": round(len(body) / 1024, 1),
            "statements per page": len(statements),
        }
    finally:
        drop_database(url)
    write_result("receivables", rows)
    return rows


if __name__ == "__main__":
    run()
