"""Retry of one record in the import history: it runs that record again and nothing
else, once however many times it is clicked at the same moment."""

from __future__ import annotations

import threading

import pytest

from app.models.crm import Company, Product
from app.models.customer_sync import ProductLink, SyncOutcome
from app.models.sync import PartnerLink, SyncRun
from app.services.errors import Forbidden, InvalidInput
from app.services.sync import customer_runs
from app.services.sync.clients import client_for
from tests.sync.conftest import user


def _failed_run(app, db_session, mf, run_jobs):
    """A run in which company BAD (a postal code Money Forward refuses) failed."""
    bad = Company(code="BAD", name="郵便番号違い", postal_code="12")
    db_session.add(bad)
    db_session.commit()
    run = customer_runs.request_customer_sync(mf, user(app))
    run_jobs()
    db_session.expire_all()
    failed = db_session.query(SyncOutcome).filter_by(run_id=run.id, outcome="failed").one()
    assert failed.record_id == bad.id
    return bad.id, failed.id


def _partner_codes(mf) -> list[str]:
    return sorted(p["code"] for p in client_for(mf)[0].list_partners()["data"])


def test_retry_runs_just_the_failed_record(app, db_session, mf, sample, run_jobs):
    bad_id, failed_id = _failed_run(app, db_session, mf, run_jobs)
    assert _partner_codes(mf) == ["C-1", "C-2"]
    db_session.get(Company, bad_id).postal_code = "100-0001"
    db_session.get(Company, sample["sakura"].id).phone = "03-9999-0000"  # not retried
    db_session.commit()
    run = customer_runs.retry_outcome(db_session.get(SyncOutcome, failed_id), user(app))
    run_jobs()
    db_session.expire_all()
    run = db_session.get(SyncRun, run.id)
    assert run.status == "finished", run.message
    assert (run.created, run.updated, run.failed, run.total) == (1, 0, 0, 1)
    rows = db_session.query(SyncOutcome).filter_by(run_id=run.id).all()
    assert [(o.record_id, o.outcome) for o in rows] == [(bad_id, "created")]
    assert _partner_codes(mf) == ["BAD", "C-1", "C-2"]
    sakura_link = db_session.query(PartnerLink).filter_by(company_id=sample["sakura"].id).one()
    assert "9999" not in client_for(mf)[0].get_partner(sakura_link.external_id).get("tel", "")


def test_retries_released_together_queue_one_run_and_make_one_partner(
    app, db_session, mf, sample, run_jobs
):
    """Five Retry clicks at the same moment (threads, each its own session): one run,
    which every click is shown; the provider gets the company once."""
    from app.extensions import db

    bad_id, failed_id = _failed_run(app, db_session, mf, run_jobs)
    db_session.get(Company, bad_id).postal_code = "100-0001"
    db_session.commit()
    runs_before = db_session.query(SyncRun).count()
    barrier = threading.Barrier(5)
    got, errors = [], []

    def click():
        with app.app_context():
            try:
                outcome = db.session.get(SyncOutcome, failed_id)
                admin = user(app)
                barrier.wait()
                got.append(customer_runs.retry_outcome(outcome, admin).id)
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=click) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    assert len(got) == 5 and len(set(got)) == 1
    db_session.expire_all()
    assert db_session.query(SyncRun).count() == runs_before + 1
    assert db_session.get(SyncOutcome, failed_id).retried_run_id == got[0]
    run_jobs()
    db_session.expire_all()
    assert db_session.get(SyncRun, got[0]).created == 1
    assert _partner_codes(mf) == ["BAD", "C-1", "C-2"]
    assert db_session.query(PartnerLink).filter_by(company_id=bad_id).count() == 1


def test_a_record_that_failed_coming_in_is_read_again(app, db_session, mf, sample, run_jobs):
    """A provider customer whose pull failed: its Retry reads that one customer and
    takes it in (no list of the provider's customers)."""
    client, _session = client_for(mf)
    partner = client.create_partner(
        {"name": "再試行商店", "code": "R-1", "departments": [{"tel": "0311112222"}]}
    )
    customer_runs.save_settings(mf, None, extent="from_provider")
    run = SyncRun(kind="customer_sync", connection_id=mf.id, status="finished")
    db_session.add(run)
    db_session.flush()
    failed = SyncOutcome(
        run_id=run.id,
        record_kind="company",
        external_id=str(partner["id"]),
        label="再試行商店",
        direction="from_provider",
        outcome="failed",
        message="500 from the provider",
    )
    db_session.add(failed)
    db_session.commit()
    retry = customer_runs.retry_outcome(failed, user(app))
    run_jobs()
    db_session.expire_all()
    retry = db_session.get(SyncRun, retry.id)
    assert (retry.status, retry.created, retry.failed) == ("finished", 1, 0), retry.message
    taken = db_session.query(Company).filter_by(code="R-1").one()
    assert taken.phone == "0311112222"
    assert db_session.query(PartnerLink).filter_by(company_id=taken.id).count() == 1
    # Only that partner was read: C-1 and C-2 were not taken in or pushed.
    assert db_session.query(PartnerLink).count() == 1


def test_a_failed_product_is_pushed_alone(app, db_session, mf, sample, run_jobs):
    widget = Product(code="P-RT", name="再送品", unit="個", unit_price=500)
    other = Product(code="P-NO", name="対象外品", unit="個", unit_price=700)
    db_session.add_all([widget, other])
    db_session.commit()
    run = SyncRun(kind="customer_sync", connection_id=mf.id, status="finished")
    db_session.add(run)
    db_session.flush()
    failed = SyncOutcome(
        run_id=run.id,
        record_kind="product",
        record_id=widget.id,
        label=widget.name,
        direction="to_provider",
        outcome="failed",
    )
    db_session.add(failed)
    db_session.commit()
    retry = customer_runs.retry_outcome(failed, user(app))
    run_jobs()
    db_session.expire_all()
    assert db_session.get(SyncRun, retry.id).created == 1
    assert [link.product_id for link in db_session.query(ProductLink)] == [widget.id]
    assert db_session.query(PartnerLink).count() == 0  # no company went either


def test_retry_refuses_what_did_not_fail_and_who_may_not_run(app, db_session, mf, sample):
    run = SyncRun(kind="customer_sync", connection_id=mf.id, status="finished")
    db_session.add(run)
    db_session.flush()
    created = SyncOutcome(
        run_id=run.id, record_kind="company", direction="to_provider", outcome="created"
    )
    failed = SyncOutcome(
        run_id=run.id, record_kind="company", direction="to_provider", outcome="failed"
    )
    db_session.add_all([created, failed])
    db_session.commit()
    with pytest.raises(InvalidInput):
        customer_runs.retry_outcome(created, user(app))
    with pytest.raises(Forbidden):
        customer_runs.retry_outcome(failed, user(app, "sales"))
    db_session.expire_all()
    assert db_session.get(SyncOutcome, failed.id).retried_run_id is None
