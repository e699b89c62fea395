"""The mismatch report (N1): each kind of difference seeded in the sandboxes (or in our
own rows) is found after a pull, resolved once fixed, ignored only with a reason; the
actions pull, push, link and ignore; two reports at once make one row."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from app.jobs.sync import scheduled_refresh_job
from app.models.documents import Document
from app.models.sync import ExternalDocument, Mismatch, PartnerLink, SyncRun
from app.services.documents import actions
from app.services.errors import InvalidInput
from app.services.sync import mismatches, request_invoice, request_status_refresh
from app.services.sync.adapters import ADAPTERS
from tests.sync.conftest import user


def issued(app, db_session, connection, deal, run_jobs) -> ExternalDocument:
    """The deal's invoice, issued at ``connection`` by the worker."""
    link, _run = request_invoice(deal, connection, user(app))
    run_jobs()
    db_session.expire_all()
    link = db_session.get(ExternalDocument, link.id)
    assert link.external_id, link.last_error
    return link


def scheduled_pull(db_session) -> None:
    """The scheduled pull, run in-process (a new one each time: the 30-minute guard is
    about runs of the schedule, so the earlier ones are dated back)."""
    db_session.execute(
        sa.text("UPDATE sync_run SET queued_at = queued_at - interval '1 hour' WHERE kind = :k"),
        {"k": "scheduled_refresh"},
    )
    db_session.commit()
    assert scheduled_refresh_job() is not None
    db_session.expire_all()


def open_rows(db_session, connection, kind: str | None = None) -> list[Mismatch]:
    query = db_session.query(Mismatch).filter(
        Mismatch.connection_id == connection.id, Mismatch.resolved_at.is_(None)
    )
    if kind:
        query = query.filter(Mismatch.kind == kind)
    return query.all()


def seed_total(db_session, link: ExternalDocument, delta: str = "1") -> None:
    """Renkei's document comes to another total than the provider's (our own row)."""
    db_session.execute(
        sa.text("UPDATE document SET total = total + :d WHERE id = :id"),
        {"d": Decimal(delta), "id": link.document_id},
    )
    db_session.commit()


def seed_customer(db_session, link: ExternalDocument) -> None:
    """The document's company is linked to another provider record now."""
    db_session.execute(
        sa.text(
            "UPDATE partner_link SET external_id = 'someone-else' "
            "WHERE connection_id = :c AND company_id = (SELECT company_id FROM document "
            "WHERE id = :d)"
        ),
        {"c": link.connection_id, "d": link.document_id},
    )
    db_session.commit()


def seed_tax(db_session, link: ExternalDocument) -> None:
    """Renkei's line becomes tax exempt at the same gross: total agrees, tax per rate not."""
    db_session.execute(
        sa.text(
            "UPDATE document_line SET tax_rate = 'exempt', unit_price = d.total, "
            "amount = d.total FROM document d WHERE d.id = document_line.document_id "
            "AND d.id = :id"
        ),
        {"id": link.document_id},
    )
    db_session.commit()


def void_in_renkei(app, db_session, link: ExternalDocument) -> None:
    document = db_session.get(Document, link.document_id)
    actions.perform(document, "void", user(app), "取消")
    db_session.expire_all()


# -- found after a pull: Money Forward, each kind --------------------------------------


def test_total_customer_and_status_found_after_the_scheduled_pull(
    app, db_session, mf, jpy_deal, sandbox, run_jobs
):
    link = issued(app, db_session, mf, jpy_deal, run_jobs)
    seed_total(db_session, link)
    seed_customer(db_session, link)
    void_in_renkei(app, db_session, link)  # provider: still unpaid
    scheduled_pull(db_session)
    kinds = {m.kind: m for m in open_rows(db_session, mf)}
    assert set(kinds) == {"total", "customer", "status"}
    status = kinds["status"]
    assert status.renkei_value == "void" and status.provider_value in ("draft", "unpaid")
    assert status.document_id == link.document_id and status.link_id == link.id
    total = kinds["total"]
    assert Decimal(total.renkei_value) == Decimal(total.provider_value) + 1
    assert kinds["customer"].renkei_value == "someone-else"
    assert mismatches.open_count(mf.id) == 3


def test_paid_at_the_provider_on_a_void_invoice_is_a_status_mismatch(
    app, db_session, mf, jpy_deal, sandbox, run_jobs
):
    link = issued(app, db_session, mf, jpy_deal, run_jobs)
    void_in_renkei(app, db_session, link)
    sandbox.set_status(link.external_id, "paid")
    scheduled_pull(db_session)
    (row,) = open_rows(db_session, mf, "status")
    assert (row.renkei_value, row.provider_value) == ("void", "paid")
    with force_locale("en"):
        from app.services.sync.mismatch_words import values

        assert values(row) == ("Void", "Paid")


def test_tax_per_rate_found_when_the_provider_answers_it(
    app, db_session, mf, jpy_deal, sandbox, run_jobs
):
    link = issued(app, db_session, mf, jpy_deal, run_jobs)
    seed_tax(db_session, link)
    request_status_refresh(user(app), [jpy_deal.id])  # GET each: the answer says per rate
    run_jobs()
    db_session.expire_all()
    (row,) = open_rows(db_session, mf)
    assert row.kind == "tax"
    assert '"standard_10": "12000"' in row.provider_value
    assert '"standard_10": "0"' in row.renkei_value


def test_deleted_at_the_provider_is_found_and_kept_by_later_pulls(
    app, db_session, mf, jpy_deal, sandbox, run_jobs
):
    link = issued(app, db_session, mf, jpy_deal, run_jobs)
    sandbox.delete(link.external_id)
    request_status_refresh(user(app), [jpy_deal.id])
    run_jobs()
    db_session.expire_all()
    (row,) = open_rows(db_session, mf)
    assert row.kind == "deleted" and row.external_id == link.external_id
    scheduled_pull(db_session)
    assert [m.id for m in open_rows(db_session, mf)] == [row.id]


def test_unknown_document_carrying_our_reference(app, db_session, mf, jpy_deal, sandbox, run_jobs):
    link = issued(app, db_session, mf, jpy_deal, run_jobs)
    partner = db_session.query(PartnerLink).filter_by(connection_id=mf.id).one()
    made = sandbox.make_invoice(
        customer_id=partner.external_id,
        reference="rk-999999-abcdef12",
        lines=[{"name": "外部", "unit_price": "1000", "quantity": "1", "tax_rate": "standard_10"}],
    )
    scheduled_pull(db_session)
    (row,) = open_rows(db_session, mf)
    assert row.kind == "unknown" and row.reference == "rk-999999-abcdef12"
    assert row.external_id == str(made["id"]) and row.document_id is None
    assert row.external_id != link.external_id


# -- every provider ----------------------------------------------------------------------


def test_each_provider_status_total_and_deleted(app, db_session, at, jpy_deal, run_jobs):
    """Seeded at each provider: Renkei voided the invoice the provider still holds unpaid,
    and its total changed; then the provider deletes it."""
    link = issued(app, db_session, at.connection, jpy_deal, run_jobs)
    seed_total(db_session, link)
    void_in_renkei(app, db_session, link)
    scheduled_pull(db_session)
    kinds = {m.kind for m in open_rows(db_session, at.connection)}
    assert kinds == {"status", "total"}, at.provider
    at.box.delete(link.external_id)
    request_status_refresh(user(app), [jpy_deal.id])
    run_jobs()
    db_session.expire_all()
    kinds = {m.kind for m in open_rows(db_session, at.connection)}
    assert kinds == {"deleted"}, at.provider  # status and total say nothing any more


def test_each_provider_unknown_document(app, db_session, at, jpy_deal, run_jobs):
    """Found among what the whole pull lists: every change at Money Forward and Zoho; at
    freee, which lists by date, only settled and cancelled invoices (so it is paid here)."""
    issued(app, db_session, at.connection, jpy_deal, run_jobs)
    partner = db_session.query(PartnerLink).filter_by(connection_id=at.connection.id).one()
    made = at.box.make_invoice(
        customer_id=partner.external_id,
        reference="rk-888888-0badc0de",
        lines=[{"name": "外部", "unit_price": "1000", "quantity": "1", "tax_rate": "standard_10"}],
    )
    if at.provider == "freee":
        at.box.pay(str(made["id"]))
    scheduled_pull(db_session)
    rows = open_rows(db_session, at.connection)
    assert [(m.kind, m.reference) for m in rows] == [("unknown", "rk-888888-0badc0de")]


# -- resolved, ignored -----------------------------------------------------------------


def test_resolved_when_fixed_and_found_again_when_back(
    app, db_session, mf, jpy_deal, sandbox, run_jobs
):
    link = issued(app, db_session, mf, jpy_deal, run_jobs)
    seed_total(db_session, link)
    scheduled_pull(db_session)
    (row,) = open_rows(db_session, mf)
    seed_total(db_session, link, "-1")
    request_status_refresh(user(app))
    run_jobs()
    db_session.expire_all()
    assert db_session.get(Mismatch, row.id).resolved_at is not None
    assert mismatches.open_count(mf.id) == 0
    seed_total(db_session, link, "5")
    mismatches.report(db_session.get(type(mf), mf.id))
    again = db_session.get(Mismatch, row.id)
    assert (
        again.resolved_at is None
        and Decimal(again.renkei_value) == Decimal(again.provider_value) + 5
    )


def test_ignore_needs_a_reason_and_stays_ignored_until_the_values_change(
    app, db_session, mf, jpy_deal, sandbox, run_jobs
):
    link = issued(app, db_session, mf, jpy_deal, run_jobs)
    seed_total(db_session, link)
    scheduled_pull(db_session)
    (row,) = open_rows(db_session, mf)
    with force_locale("en"), pytest.raises(InvalidInput, match="Say why"):
        mismatches.ignore(row, user(app), "  ")
    mismatches.ignore(row, user(app), "rounding agreed with the customer")
    connection = db_session.get(type(mf), mf.id)
    assert mismatches.report(connection) == 0
    kept = db_session.get(Mismatch, row.id)
    assert kept.ignored_at is not None and kept.ignored_reason.startswith("rounding")
    assert kept.ignored_by_id == user(app).id
    seed_total(db_session, link, "2")  # another difference: shown again
    assert mismatches.report(connection) == 1
    assert db_session.get(Mismatch, row.id).ignored_at is None
    trail = db_session.execute(
        sa.text("SELECT note FROM audit_entry WHERE document_id = :d AND action = :a"),
        {"d": link.document_id, "a": "mismatch_ignored"},
    ).all()
    assert len(trail) == 1


def test_ignore_is_refused_without_the_right(app, db_session, mf, jpy_deal, sandbox, run_jobs):
    from app.services.errors import Forbidden

    link = issued(app, db_session, mf, jpy_deal, run_jobs)
    seed_total(db_session, link)
    scheduled_pull(db_session)
    (row,) = open_rows(db_session, mf)
    with pytest.raises(Forbidden):
        mismatches.ignore(row, user(app, "readonly"), "because")


def test_concurrent_reports_make_one_row(app, db_session, mf, jpy_deal, sandbox, run_jobs):
    from app.extensions import db
    from app.models.connection import Connection

    link = issued(app, db_session, mf, jpy_deal, run_jobs)
    seed_total(db_session, link)
    n = 6
    barrier = threading.Barrier(n)
    errors: list[BaseException] = []

    def run() -> None:
        with app.app_context():
            try:
                connection = db.session.get(Connection, mf.id)
                barrier.wait()
                mismatches.report(connection)
            except BaseException as exc:
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    db_session.expire_all()
    assert db_session.query(Mismatch).filter_by(connection_id=mf.id).count() == 1


# -- actions -----------------------------------------------------------------------------


def test_pull_reads_the_document_again_and_resolves(
    app, db_session, mf, jpy_deal, sandbox, run_jobs
):
    link = issued(app, db_session, mf, jpy_deal, run_jobs)
    db_session.execute(
        sa.text("UPDATE external_document SET deleted_at_provider = true WHERE id = :id"),
        {"id": link.id},
    )
    db_session.commit()
    scheduled_pull(db_session)
    (row,) = open_rows(db_session, mf)
    assert row.kind == "deleted"
    done = mismatches.pull(row, user(app))
    assert done.resolved_at is not None
    db_session.expire_all()
    again = db_session.get(ExternalDocument, link.id)
    assert not again.deleted_at_provider and again.billing_status != "deleted"
    actions_in_trail = db_session.execute(
        sa.text("SELECT action FROM audit_entry WHERE document_id = :d"),
        {"d": link.document_id},
    ).scalars()
    assert "mismatch_pulled" in set(actions_in_trail)


def test_push_issues_a_deleted_document_again(app, db_session, mf, jpy_deal, sandbox, run_jobs):
    link = issued(app, db_session, mf, jpy_deal, run_jobs)
    old_reference, old_id = link.reference, link.external_id
    sandbox.delete(link.external_id)
    request_status_refresh(user(app), [jpy_deal.id])
    run_jobs()
    db_session.expire_all()
    (row,) = open_rows(db_session, mf)
    run = mismatches.push(row, user(app))
    assert isinstance(run, SyncRun)
    run_jobs()
    db_session.expire_all()
    again = db_session.get(ExternalDocument, link.id)
    assert again.external_id and again.external_id != old_id
    assert again.reference != old_reference and not again.deleted_at_provider
    assert len(sandbox.invoices()) == 1
    assert db_session.get(Mismatch, row.id).resolved_at is not None


def test_push_of_a_total_says_what_to_do_at_the_provider(
    app, db_session, mf, jpy_deal, sandbox, run_jobs
):
    link = issued(app, db_session, mf, jpy_deal, run_jobs)
    seed_total(db_session, link)
    scheduled_pull(db_session)
    (row,) = open_rows(db_session, mf)
    with force_locale("en"), pytest.raises(InvalidInput, match="Correct it there"):
        mismatches.push(row, user(app))


def test_push_sets_paid_where_the_provider_takes_it(
    app, db_session, mf, jpy_deal, sandbox, run_jobs
):
    assert ADAPTERS["moneyforward"].supports_payment_push
    from app.services.documents import payments

    link = issued(app, db_session, mf, jpy_deal, run_jobs)
    document = db_session.get(Document, link.document_id)
    payments.record_payment(document, str(document.total), user=user(app))
    scheduled_pull(db_session)  # before the worker told the provider: it still says unpaid
    (row,) = open_rows(db_session, mf)
    assert (row.kind, row.renkei_value) == ("status", "paid")
    mismatches.push(row, user(app))
    run_jobs()
    request_status_refresh(user(app))
    run_jobs()
    db_session.expire_all()
    assert db_session.get(ExternalDocument, link.id).billing_status == "paid"
    assert db_session.get(Mismatch, row.id).resolved_at is not None


def _second_invoice(app, db_session, sample):
    """A Renkei invoice of the same customer with no provider link: 132,000 yen."""
    from app.models.crm import Deal
    from app.services.documents import issuing

    deal = Deal(
        title="追加作業",
        company=sample["acme"],
        deal_type=sample["project"],
        stage="won",
        currency="JPY",
        amount=Decimal("120000"),
    )
    db_session.add(deal)
    db_session.commit()
    return issuing.from_deal(deal, "invoice", user=user(app))


def test_link_an_unknown_document_to_a_renkei_document(
    app, db_session, mf, jpy_deal, sample, sandbox, run_jobs
):
    issued(app, db_session, mf, jpy_deal, run_jobs)
    second = _second_invoice(app, db_session, sample)
    partner = db_session.query(PartnerLink).filter_by(connection_id=mf.id).one()
    sandbox.make_invoice(
        customer_id=partner.external_id,
        reference=f"rk-{second.id}-feedface",
        lines=[
            {"name": "追加", "unit_price": "120000", "quantity": "1", "tax_rate": "standard_10"}
        ],
    )
    scheduled_pull(db_session)
    (row,) = open_rows(db_session, mf)
    assert row.kind == "unknown" and row.document_id == second.id
    made = mismatches.link(row, second, user(app))
    assert made.origin == "linked" and made.reference == f"rk-{second.id}-feedface"
    assert made.document_id == second.id and made.deal_id == second.deal_id
    assert db_session.get(Mismatch, row.id).resolved_at is not None
    scheduled_pull(db_session)
    assert open_rows(db_session, mf) == []


def test_link_by_choice_among_the_customers_documents(
    app, db_session, mf, jpy_deal, sample, sandbox, run_jobs
):
    from app.services.sync import links

    first = issued(app, db_session, mf, jpy_deal, run_jobs)
    second = _second_invoice(app, db_session, sample)
    partner = db_session.query(PartnerLink).filter_by(connection_id=mf.id).one()
    made = sandbox.make_invoice(
        customer_id=partner.external_id,
        lines=[
            {"name": "追加", "unit_price": "120000", "quantity": "1", "tax_rate": "standard_10"}
        ],
    )
    cheap = sandbox.make_invoice(
        customer_id=partner.external_id,
        lines=[{"name": "別件", "unit_price": "1000", "quantity": "1", "tax_rate": "standard_10"}],
    )
    found = links.candidates(second, mf, user(app))
    ids = [r.external_id for r in found]
    assert str(made["id"]) in ids and first.external_id not in ids  # linked ones are left out
    with force_locale("en"), pytest.raises(InvalidInput, match="not the same invoice"):
        links.link_document(second, mf, str(cheap["id"]), user(app))
    with force_locale("en"), pytest.raises(InvalidInput, match="already linked"):
        links.link_document(second, mf, first.external_id, user(app))
    link = links.link_document(second, mf, str(made["id"]), user(app))
    assert link.origin == "linked" and link.external_id == str(made["id"])
    assert link.customer_external_id == partner.external_id
    with force_locale("en"), pytest.raises(InvalidInput, match="already linked"):
        links.link_document(second, mf, str(made["id"]), user(app))


def test_link_by_reference(app, db_session, mf, jpy_deal, sample, sandbox, run_jobs):
    from app.services.sync import links

    issued(app, db_session, mf, jpy_deal, run_jobs)
    second = _second_invoice(app, db_session, sample)
    partner = db_session.query(PartnerLink).filter_by(connection_id=mf.id).one()
    made = sandbox.make_invoice(
        customer_id=partner.external_id,
        reference=f"rk-{second.id}-12345678",
        lines=[
            {"name": "追加", "unit_price": "120000", "quantity": "1", "tax_rate": "standard_10"}
        ],
    )
    remote = links.find_by_reference(second, mf, user(app))
    assert remote is not None and remote.external_id == str(made["id"])


# -- N identical requests at once ------------------------------------------------------


def _together(app, n: int, work) -> list:
    """Run ``work()`` in ``n`` app contexts released at the same moment; their outcomes."""
    from app.extensions import db

    barrier = threading.Barrier(n)
    outcomes: list = []

    def run() -> None:
        with app.app_context():
            try:
                barrier.wait()
                outcomes.append(work())
            except Exception as exc:
                outcomes.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(90)
    return outcomes


def test_issuing_again_pressed_together_issues_once(
    app, db_session, mf, jpy_deal, sandbox, run_jobs
):
    from app.extensions import db

    link = issued(app, db_session, mf, jpy_deal, run_jobs)
    sandbox.delete(link.external_id)
    request_status_refresh(user(app), [jpy_deal.id])
    run_jobs()
    db_session.expire_all()
    (row,) = open_rows(db_session, mf)

    def press():
        return mismatches.push(db.session.get(Mismatch, row.id), user(app))

    outcomes = _together(app, 6, press)
    runs = [o for o in outcomes if isinstance(o, SyncRun)]
    assert len(runs) == 1, outcomes
    assert all(isinstance(o, InvalidInput) for o in outcomes if o not in runs), outcomes
    run_jobs()
    assert len(sandbox.invoices()) == 1
    db_session.expire_all()
    assert db_session.query(SyncRun).filter_by(kind="create_invoice").count() == 2


def test_linking_pressed_together_links_once(
    app, db_session, mf, jpy_deal, sample, sandbox, run_jobs
):
    from app.extensions import db
    from app.models.connection import Connection
    from app.services.sync import links

    issued(app, db_session, mf, jpy_deal, run_jobs)
    second = _second_invoice(app, db_session, sample)
    partner = db_session.query(PartnerLink).filter_by(connection_id=mf.id).one()
    made = sandbox.make_invoice(
        customer_id=partner.external_id,
        lines=[
            {"name": "追加", "unit_price": "120000", "quantity": "1", "tax_rate": "standard_10"}
        ],
    )

    def press():
        document = db.session.get(Document, second.id)
        connection = db.session.get(Connection, mf.id)
        return links.link_document(document, connection, str(made["id"]), user(app))

    outcomes = _together(app, 6, press)
    linked = [o for o in outcomes if isinstance(o, ExternalDocument)]
    assert len(linked) == 1, outcomes
    assert all(isinstance(o, InvalidInput) for o in outcomes if o not in linked), outcomes
    db_session.expire_all()
    assert db_session.query(ExternalDocument).filter_by(document_id=second.id).count() == 1
    trail = db_session.execute(
        sa.text("SELECT count(*) FROM audit_entry WHERE document_id = :d AND action = 'linked'"),
        {"d": second.id},
    ).scalar()
    assert trail == 1


def test_each_provider_total_and_tax_changed_there(app, db_session, at, jpy_deal, run_jobs):
    """A person edits the invoice at the provider: first another total, then the same
    total split differently between the rates."""
    link = issued(app, db_session, at.connection, jpy_deal, run_jobs)
    at.box.edit(
        link.external_id,
        lines=[
            {"name": "保守", "unit_price": "100000", "quantity": "1", "tax_rate": "standard_10"}
        ],
    )
    request_status_refresh(user(app), [jpy_deal.id])
    run_jobs()
    db_session.expire_all()
    rows = {m.kind: m for m in open_rows(db_session, at.connection)}
    assert "total" in rows, at.provider
    assert (Decimal(rows["total"].renkei_value), Decimal(rows["total"].provider_value)) == (
        Decimal("132000"),
        Decimal("110000"),
    )
    at.box.edit(
        link.external_id,
        lines=[
            {"name": "保守", "unit_price": "110000", "quantity": "1", "tax_rate": "standard_10"},
            {"name": "印紙", "unit_price": "11000", "quantity": "1", "tax_rate": "exempt"},
        ],
    )
    request_status_refresh(user(app), [jpy_deal.id])
    run_jobs()
    db_session.expire_all()
    rows = {m.kind: m for m in open_rows(db_session, at.connection)}
    assert set(rows) == {"tax"}, (at.provider, rows)  # the total agrees again: resolved
    assert '"standard_10": "11000"' in rows["tax"].provider_value


def test_a_pull_of_chosen_deals_judges_only_their_links(
    app, db_session, mf, jpy_deal, sample, sandbox, run_jobs
):
    from app.models.crm import Deal

    first = issued(app, db_session, mf, jpy_deal, run_jobs)
    other = Deal(
        title="別案件",
        company=sample["acme"],
        deal_type=sample["project"],
        stage="won",
        currency="JPY",
        amount=Decimal("50000"),
    )
    db_session.add(other)
    db_session.commit()
    second = issued(app, db_session, mf, other, run_jobs)
    seed_total(db_session, first)
    seed_total(db_session, second)
    request_status_refresh(user(app), [other.id])
    run_jobs()
    db_session.expire_all()
    assert [m.link_id for m in open_rows(db_session, mf)] == [second.id]
    scheduled_pull(db_session)
    assert {m.link_id for m in open_rows(db_session, mf)} == {first.id, second.id}


def test_a_failing_report_does_not_undo_the_pull(
    app, db_session, mf, jpy_deal, sandbox, run_jobs, monkeypatch
):
    from app.models.sync import SyncFailure
    from app.services.sync import mismatch_report

    link = issued(app, db_session, mf, jpy_deal, run_jobs)
    sandbox.set_status(link.external_id, "paid")

    def broken(*args, **kwargs):
        raise RuntimeError("report broke")

    monkeypatch.setattr(mismatch_report, "report", broken)
    with force_locale("en"):
        scheduled_pull(db_session)
    assert db_session.get(ExternalDocument, link.id).billing_status == "paid"
    failure = db_session.query(SyncFailure).order_by(SyncFailure.id.desc()).first()
    assert "mismatch report could not be made" in failure.message
