"""Benchmark: the deal list's CSV download against a plain query export of the same
columns — rows per second, the ratio, and peak memory.

Builds a throw-away database (SQLite by default, ``RENKEI_BENCH_CSV_DB=postgresql`` for
PostgreSQL) with N deals over 2,000 companies (bulk insert), then:

- *plain*: one SQL select of the CSV's columns (the same outer joins) written with
  ``csv.writer`` and ``str()`` — the floor any export can reach;
- *renkei*: ``/dealview/csv`` through the app as a signed-in administrator, with the
  inline limit raised above N (the job writes with the same code: app/jobs/exports.py).

Each is timed without tracing, then run again under tracemalloc for its peak memory.
``python -m tests.bench csv`` (RENKEI_BENCH_DEALS: default 100,000).
"""

from __future__ import annotations

import csv
import os
import re
import tempfile
import time
import tracemalloc
from decimal import Decimal


def _app(url: str):
    from tests.conftest import build_app

    return build_app(url, REDIS_URL=None, RENKEI_CSV_INLINE_MAX_ROWS=10_000_000)


def _seed(app, deals: int) -> None:
    from app.extensions import db
    from app.models.crm import Company, Deal

    with app.app_context():
        owners = [app.appbuilder.sm.find_user(username=u).id for u in ("admin", "sales")]
        db.session.execute(
            Company.__table__.insert(),
            [{"code": f"B{i:05d}", "name": f"株式会社ベンチ{i}"} for i in range(2000)],
        )
        ids = [row.id for row in db.session.execute(db.select(Company.id).order_by(Company.id))]
        for start in range(0, deals, 10_000):
            rows = [
                {
                    "title": f"案件 {n}",
                    "company_id": ids[n % len(ids)],
                    "stage": ("proposal", "won", "lost")[n % 3],
                    "probability": 50,
                    "currency": "JPY",
                    "amount": Decimal(1000 + n),
                    "owner_id": owners[n % 2],
                    "billing_status": ("none", "paid", "unpaid")[n % 3],
                }
                for n in range(start, min(start + 10_000, deals))
            ]
            db.session.execute(Deal.__table__.insert(), rows)  # bulk: no per-row ORM rules
        db.session.commit()


def _plain(app, out) -> int:
    """The floor: the same columns in one select, written as they come."""
    import sqlalchemy as sa
    from flask_appbuilder.security.sqla.models import User
    from sqlalchemy.orm import aliased

    from app.extensions import db
    from app.models.crm import Company, Contact, Deal, DealType

    company, contact, kind, owner = (
        aliased(Company),
        aliased(Contact),
        aliased(DealType),
        aliased(User),
    )
    query = (
        sa.select(
            Deal.id,
            Deal.title,
            company.name,
            contact.name,
            kind.name,
            Deal.stage,
            Deal.probability,
            Deal.currency,
            Deal.amount,
            owner.username,
            Deal.expected_close_date,
            Deal.billing_status,
            Deal.updated_at,
        )
        .outerjoin(company, Deal.company_id == company.id)
        .outerjoin(contact, Deal.contact_id == contact.id)
        .outerjoin(kind, Deal.deal_type_id == kind.id)
        .outerjoin(owner, Deal.owner_id == owner.id)
        .order_by(Deal.id.desc())
        .execution_options(yield_per=2000)
    )
    writer = csv.writer(out, lineterminator="\r\n")
    rows = 0
    with app.app_context():
        for part in db.session.execute(query).partitions():
            writer.writerows(part)
            rows += len(part)
        db.session.remove()
    return rows


def _signed_in(app):
    client = app.test_client()
    page = client.get("/login/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post("/login/", data={"username": "admin", "password": "admin", "csrf_token": token})
    client.get("/lang/en")
    return client


def _renkei(client) -> int:
    response = client.get("/dealview/csv")
    assert response.status_code == 200, response.status_code
    lines = sum(chunk.count(b"\n") for chunk in response.response)
    response.close()
    return lines - 1


def _measure(run) -> tuple[int, float, float]:
    """(rows, seconds, peak MiB): timed untraced, then traced for memory."""
    started = time.perf_counter()
    rows = run()
    seconds = time.perf_counter() - started
    tracemalloc.start()
    run()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return rows, seconds, peak / 2**20


def run(deals: int | None = None) -> dict:
    """Seed ``deals`` deals, export them both ways, return the figures."""
    from tests.bench.common import write_result
    from tests.conftest import drop_database, make_database

    deals = deals or int(os.environ.get("RENKEI_BENCH_DEALS", 100_000))
    database = os.environ.get("RENKEI_BENCH_CSV_DB", "sqlite")
    with tempfile.TemporaryDirectory() as tmp:
        url = make_database() if database == "postgresql" else f"sqlite:///{tmp}/bench.db"
        try:
            app = _app(url)
            _seed(app, deals)

            def plain():
                with open(os.path.join(tmp, "plain.csv"), "w", encoding="utf-8") as out:
                    return _plain(app, out)

            client = _signed_in(app)
            plain_rows, plain_s, plain_mib = _measure(plain)
            renkei_rows, renkei_s, renkei_mib = _measure(lambda: _renkei(client))
        finally:
            if database == "postgresql":
                from app.extensions import db

                with app.app_context():
                    db.session.remove()
                    db.engine.dispose()
                drop_database(url)
    assert plain_rows == renkei_rows == deals, (plain_rows, renkei_rows)
    result = {
        "database": database,
        "rows": deals,
        "plain seconds": round(plain_s, 2),
        "plain rows/s": round(deals / plain_s),
        "plain peak MiB": round(plain_mib, 1),
        "renkei seconds": round(renkei_s, 2),
        "renkei rows/s": round(deals / renkei_s),
        "renkei peak MiB": round(renkei_mib, 1),
        "time ratio renkei/plain": round(renkei_s / plain_s, 2),
    }
    write_result(f"csv-{database}", result)
    return result


if __name__ == "__main__":
    print(run())
