"""Fixtures of the sync tests: a Money Forward connection made connected against the
sandbox served by ``live_server``, an RQ worker run, and the sandbox's control API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import requests
import sqlalchemy as sa
from rq import Queue, SimpleWorker

from app.jobs.queue import set_worker_app
from app.models.crm import Company, Deal
from tests.factories import make_connected_mf


class Sandbox:
    """The Money Forward sandbox's control API over HTTP."""

    def __init__(self, root: str):
        self.base = f"{root}/sandbox/moneyforward/_sandbox"

    def reset(self) -> None:
        """Forget every record, fault and request."""
        requests.post(f"{self.base}/reset", timeout=10).raise_for_status()

    def fault(self, **body) -> None:
        """Inject a fault (kind, count, path …)."""
        requests.post(f"{self.base}/faults", json=body, timeout=10).raise_for_status()

    def billings(self) -> list[dict]:
        """Every billing the sandbox holds."""
        docs = requests.get(f"{self.base}/documents", timeout=10).json()["documents"]
        return [d for d in docs if d["kind"].startswith("請求書")]

    def set_status(self, doc_id: str, status: str) -> None:
        """Change a billing's payment status as a person at Money Forward would."""
        url = f"{self.base}/documents/{doc_id}/status"
        requests.post(url, json={"payment_status": status}, timeout=10).raise_for_status()

    def delete(self, doc_id: str) -> None:
        """Delete a billing at the provider."""
        requests.delete(f"{self.base}/documents/{doc_id}", timeout=10).raise_for_status()

    def requests_to(self, fragment: str, method: str | None = None) -> list[dict]:
        """The logged API requests whose path contains ``fragment``."""
        log = requests.get(f"{self.base}/requests", timeout=10).json()["requests"]
        return [
            r for r in log if fragment in r["path"] and (method is None or r["method"] == method)
        ]


def _wipe(session) -> None:
    session.rollback()
    for table in ("sync_failure", "sync_run", "external_document", "partner_link", "connection"):
        session.execute(sa.text(f"DELETE FROM {table}"))
    session.commit()


@pytest.fixture()
def sandbox(live_server):
    box = Sandbox(live_server.url)
    box.reset()
    yield box
    box.reset()


@pytest.fixture()
def mf(db_session, live_server, sandbox):
    """A connected Money Forward connection whose tokens were minted by the sandbox."""
    connection = make_connected_mf(db_session, live_server.url, "MF sync", dt.timedelta(hours=1))
    yield connection
    _wipe(db_session)


@pytest.fixture()
def jpy_deal(db_session, sample):
    """A JPY deal without lines: invoiced as its title and contract amount."""
    deal = Deal(
        title="保守サポート 2026",
        company=sample["acme"],
        deal_type=sample["project"],
        stage="won",
        probability=100,
        currency="JPY",
        amount=Decimal("120000"),
    )
    db_session.add(deal)
    db_session.commit()
    return deal


@pytest.fixture()
def run_jobs(app, redis_conn):
    """Run every queued job with a real RQ SimpleWorker (burst)."""

    def run() -> None:
        set_worker_app(app)
        queue = Queue("default", connection=redis_conn)
        SimpleWorker([queue], connection=redis_conn).work(burst=True)

    return run


def user(app, username: str = "admin"):
    """A demo user by login."""
    return app.appbuilder.sm.find_user(username=username)


def company(session, code: str) -> Company:
    """A company by code."""
    return session.query(Company).filter_by(code=code).one()
