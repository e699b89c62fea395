"""Deal → invoice at Money Forward: lines, customer push, readable errors."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.models.sync import ExternalDocument, PartnerLink, SyncFailure
from app.services.errors import Forbidden, InvalidInput
from app.services.sync import request_invoice, run_progress
from tests.sync.conftest import user


def _fresh(db_session, *records):
    db_session.expire_all()
    return [db_session.merge(r) for r in records]


def test_deal_with_lines_becomes_an_invoice_with_those_lines(
    app, db_session, mf, sample, sandbox, run_jobs
):
    deal = sample["with_lines"]
    document, run = request_invoice(deal, mf, user(app))
    assert document.billing_status == "pending" and run.job_id
    assert deal.billing_status == "pending"
    run_jobs()
    document, run, deal = _fresh(db_session, document, run, deal)
    assert run.status == "finished" and run.created == 1 and run.api_calls > 0
    assert run_progress(run)["percent"] == 100 and run_progress(run)["finished"]
    assert document.external_id and document.billing_status == "draft"
    assert deal.billing_status == "unpaid"  # the Renkei invoice is issued: owed
    posts = sandbox.requests_to("/invoice_template_billings", "POST")
    assert len(posts) == 1
    (billing,) = sandbox.billings()
    # 300,000 + 10 % tax = 330,000; 20 × 972 (1,080 less 10 %) = 19,440 + 8 % = 20,995
    assert Decimal(str(billing["amount"])) == Decimal("350995")
    link = db_session.query(PartnerLink).one()
    assert link.company_id == sample["sakura"].id and link.department_id


def test_lines_map_to_excise_values_and_discount_is_folded():
    from decimal import Decimal
    from types import SimpleNamespace

    from app.providers.moneyforward.mapping import billing_lines
    from app.services.sync.lines import invoice_lines

    lines = [
        SimpleNamespace(
            name="導入支援",
            unit_price=Decimal("300000"),
            quantity=Decimal(1),
            discount_percent=Decimal(0),
            tax_rate="standard_10",
            unit="式",
        ),
        SimpleNamespace(
            name="お弁当",
            unit_price=Decimal("1080"),
            quantity=Decimal(20),
            discount_percent=Decimal(10),
            tax_rate="reduced_8",
            unit="個",
        ),
        SimpleNamespace(
            name="印紙",
            unit_price=Decimal("200"),
            quantity=Decimal(1),
            discount_percent=Decimal(0),
            tax_rate="exempt",
            unit=None,
        ),
    ]
    deal = SimpleNamespace(lines=lines, title="x", amount=Decimal(0), currency="JPY")
    items = billing_lines(invoice_lines(deal))
    assert [i["excise"] for i in items] == [
        "ten_percent",
        "eight_percent_as_reduced_tax_rate",
        "untaxable",
    ]
    assert items[1]["price"] == Decimal("972") and items[1]["quantity"] == Decimal("20")
    assert "10% off" in items[1]["name"]


def test_deal_without_lines_is_invoiced_as_title_and_amount(
    app, db_session, mf, jpy_deal, sandbox, run_jobs
):
    document, _run = request_invoice(jpy_deal, mf, user(app))
    run_jobs()
    (document,) = _fresh(db_session, document)
    assert document.billing_status == "draft"
    (billing,) = sandbox.billings()
    assert billing["partner"] == "Acme Trading Ltd."


def test_customer_is_created_once_then_updated_when_changed(
    app, db_session, mf, sample, jpy_deal, sandbox, run_jobs
):
    admin = user(app)
    request_invoice(jpy_deal, mf, admin)
    run_jobs()
    db_session.expire_all()
    request_invoice(jpy_deal, mf, admin, confirm=2**31)  # unchanged company: no partner write
    run_jobs()
    assert len(sandbox.requests_to("/partners", "POST")) == 1
    assert len(sandbox.requests_to("/partners/", "PUT")) == 0
    acme = db_session.merge(sample["acme"])
    acme.name = "Acme Trading K.K."
    db_session.commit()
    request_invoice(jpy_deal, mf, admin, confirm=2**31)
    run_jobs()
    assert len(sandbox.requests_to("/partners", "POST")) == 1
    assert len(sandbox.requests_to("/partners/", "PUT")) >= 1
    names = {b["partner"] for b in sandbox.billings()}
    assert "Acme Trading K.K." in names
    assert db_session.query(PartnerLink).count() == 1


def test_validation_error_is_readable_and_nothing_half_written(
    app, db_session, mf, sample, jpy_deal, sandbox, run_jobs
):
    sample["acme"].phone = "call reception"  # Money Forward refuses this tel
    db_session.commit()
    document, run = request_invoice(jpy_deal, mf, user(app))
    run_jobs()
    document, run = _fresh(db_session, document, run)
    assert run.status == "failed" and run.failed == 1
    assert document.billing_status == "failed" and document.external_id is None
    assert document.last_error.startswith("Money Forward") and "tel" in document.last_error
    failure = db_session.query(SyncFailure).one()
    assert failure.document_id == document.id and "tel" in failure.message
    assert sandbox.billings() == []


def test_checks_refuse_with_readable_messages(app, db_session, mf, sample, jpy_deal):
    with pytest.raises(Forbidden):
        request_invoice(jpy_deal, mf, user(app, "readonly"))
    with pytest.raises(InvalidInput, match="USD") as refused:
        request_invoice(sample["amount_only"], mf, user(app))
    assert refused.value.field == "currency"
    mf.deal_types = [sample["standard"]]
    db_session.commit()
    with pytest.raises(InvalidInput) as refused:
        request_invoice(jpy_deal, mf, user(app))
    assert refused.value.field == "deal_type"
    mf.deal_types = []
    mf.status = "paused"
    db_session.commit()
    with pytest.raises(InvalidInput, match="paused"):
        request_invoice(jpy_deal, mf, user(app))
    assert db_session.query(ExternalDocument).count() == 0
