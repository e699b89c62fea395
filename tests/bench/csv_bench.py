"""Benchmark: the deal list's CSV download — rows per second and peak memory.

Builds a throw-away SQLite database with N deals, downloads /dealview/csv through the
app as a signed-in administrator, and reports rows/s and the peak Python memory
(tracemalloc) while streaming, to show the download does not hold the list in memory.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
import tracemalloc
from decimal import Decimal


def _app(tmp: str):
    os.environ.update(
        {
            "RENKEI_ENV": "test",
            "SECRET_KEY": "b" * 48,
            "RENKEI_ENCRYPTION_KEY": "bq5pKOlH6uKzGQ0K0V4Y1mCQ3zD1C3Tq9S7n8m2vW4E=",
            "DATABASE_URL": f"sqlite:///{tmp}/bench.db",
        }
    )
    from flask_migrate import upgrade

    from app import create_app
    from app.cli import bootstrap, ensure_demo_users

    app = create_app({"RATELIMIT_ENABLED": False, "SESSION_COOKIE_SECURE": False})
    with app.app_context():
        upgrade()
        bootstrap()
        ensure_demo_users()
    return app


def _seed(app, deals: int) -> None:
    from app.extensions import db
    from app.models.crm import Company, Deal

    with app.app_context():
        companies = [Company(code=f"B{i:05d}", name=f"株式会社ベンチ{i}") for i in range(100)]
        db.session.add_all(companies)
        db.session.flush()
        rows = [
            {
                "title": f"案件 {n}",
                "company_id": companies[n % 100].id,
                "stage": "proposal",
                "probability": 50,
                "currency": "JPY",
                "amount": Decimal(1000 + n),
                "billing_status": "none",
            }
            for n in range(deals)
        ]
        db.session.execute(Deal.__table__.insert(), rows)  # bulk: no per-row ORM rules
        db.session.commit()


def run(deals: int = 50_000) -> dict:
    """Seed ``deals`` deals, download the CSV, return rows/s and peak memory."""
    with tempfile.TemporaryDirectory() as tmp:
        app = _app(tmp)
        _seed(app, deals)
        client = app.test_client()
        page = client.get("/login/").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        client.post("/login/", data={"username": "admin", "password": "admin", "csrf_token": token})
        tracemalloc.start()
        started = time.perf_counter()
        response = client.get("/dealview/csv")
        lines = sum(chunk.count(b"\n") for chunk in response.response)
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        response.close()
    result = {
        "rows": lines - 1,
        "seconds": round(elapsed, 2),
        "rows_per_second": round((lines - 1) / elapsed),
        "peak_memory_mib": round(peak / 2**20, 1),
    }
    assert result["rows"] == deals, result
    return result


if __name__ == "__main__":
    print(run())
