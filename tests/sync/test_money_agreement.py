"""Same money everywhere: the provider's invoice holds Renkei's total and tax per rate,
or the run says in words why not (issue #12)."""

from __future__ import annotations

from decimal import Decimal

import pytest
import requests

from app.models.crm import Deal, DealLine
from app.models.documents import LegalEntity
from app.models.sync import ExternalDocument, SyncFailure, SyncRun
from app.services.money import format_money
from app.services.sync import request_invoice
from tests.sync.conftest import PROVIDERS, Sandbox, _wipe, make_connected, user


def yen(amount: int) -> str:
    """An amount as the run's words show it (¥2,185, or ￥2,185 in Japanese)."""
    return format_money(Decimal(amount), "JPY")


def _mixed_deal(session, sample) -> Deal:
    """10 % on ¥1,005 is ¥100.5: ¥100 rounded down (Renkei's default), ¥101 to nearest."""
    deal = Deal(
        title="混合税率の案件",
        company=sample["acme"],
        deal_type=sample["project"],
        stage="won",
        probability=100,
        currency="JPY",
    )
    deal.lines = [
        DealLine(position=1, name="作業費", unit_price=Decimal(1005), quantity=Decimal(1),
                 discount_percent=Decimal(0), tax_rate="standard_10"),
        DealLine(position=2, name="お弁当", unit_price=Decimal(1000), quantity=Decimal(1),
                 discount_percent=Decimal(0), tax_rate="reduced_8"),
    ]  # fmt: skip
    session.add(deal)
    session.commit()
    return deal


def _settings(box: Sandbox, **values) -> None:
    """Change the sandbox's settings (Money Forward: the office's 請求書設定)."""
    requests.post(f"{box.base}/settings", json=values, timeout=10).raise_for_status()


def _issuer(session, rounding: str) -> None:
    """The issuer invoices from deals are made by rounds tax with ``rounding``."""
    entity = session.query(LegalEntity).order_by(LegalEntity.id).first()
    if entity is None:
        entity = LegalEntity(name=f"発行元 {rounding}")
        session.add(entity)
    entity.tax_rounding = rounding
    session.commit()


@pytest.fixture()
def zoho(db_session, live_server):
    box = Sandbox(live_server.url, "zoho")
    box.reset()
    connection = make_connected(db_session, live_server.url, "zoho", "zoho money")
    yield connection, box
    box.reset()
    _wipe(db_session)


def _outcome(db_session, document, run):
    db_session.expire_all()
    document = db_session.get(ExternalDocument, document.id)
    run = db_session.get(SyncRun, run.id)
    failures = [f.message for f in db_session.query(SyncFailure).filter_by(run_id=run.id)]
    return document, run, failures


def test_zoho_one_yen_case_is_refused_in_words_not_issued_silently(
    app, db_session, sample, zoho, run_jobs
):
    """Zoho rounds tax to the nearest yen and takes no rounding mode per request; an
    issuer rounding down would get ¥2,186 there against ¥2,185 in Renkei."""
    connection, box = zoho
    deal = _mixed_deal(db_session, sample)
    document, run = request_invoice(deal, connection, user(app))
    run_jobs()
    document, run, failures = _outcome(db_session, document, run)
    assert box.invoices() == []  # nothing was sent
    assert box.requests_to("/invoice/v3/invoices", "POST") == []
    assert run.status == "failed" and document.billing_status == "failed"
    (message,) = failures
    assert "Zoho" in message and yen(2186) in message and yen(2185) in message
    assert yen(101) in message and yen(100) in message  # the 10 % tax, there and here


def test_zoho_issues_when_the_issuer_rounds_half_up_and_agrees(
    app, db_session, sample, zoho, run_jobs
):
    connection, box = zoho
    _issuer(db_session, "half_up")
    deal = _mixed_deal(db_session, sample)
    document, run = request_invoice(deal, connection, user(app))
    run_jobs()
    document, run, failures = _outcome(db_session, document, run)
    assert run.status == "finished" and failures == []
    assert document.total == Decimal("2186") and document.last_error is None


@pytest.mark.parametrize("provider", ["moneyforward", "freee"])
@pytest.mark.parametrize("rounding", ["down", "half_up", "up"])
def test_mf_and_freee_hold_renkeis_figures_for_each_rounding(
    app, db_session, sample, live_server, run_jobs, provider, rounding
):
    box = Sandbox(live_server.url, provider)
    box.reset()
    if provider == "moneyforward":  # the office's 請求書設定, not settable per request
        mode = {"down": "round_down", "half_up": "round_off", "up": "round_up"}[rounding]
        _settings(box, rounding_consumption_tax=mode)
    connection = make_connected(db_session, live_server.url, provider, f"{provider} money")
    try:
        _issuer(db_session, rounding)
        deal = _mixed_deal(db_session, sample)
        document, run = request_invoice(deal, connection, user(app))
        run_jobs()
        document, run, failures = _outcome(db_session, document, run)
        assert run.status == "finished" and failures == [], failures
        tax10 = {"down": 100, "half_up": 101, "up": 101}[rounding]
        assert document.total == Decimal(1005 + 1000 + 80 + tax10)
    finally:
        box.reset()
        _wipe(db_session)


def test_money_forward_office_rounding_unlike_the_issuers_is_recorded_in_words(
    app, db_session, sample, live_server, run_jobs
):
    box = Sandbox(live_server.url, "moneyforward")
    box.reset()
    _settings(box, rounding_consumption_tax="round_down")
    connection = make_connected(db_session, live_server.url, "moneyforward", "mf money")
    try:
        _issuer(db_session, "half_up")
        deal = _mixed_deal(db_session, sample)
        document, run = request_invoice(deal, connection, user(app))
        run_jobs()
        document, run, failures = _outcome(db_session, document, run)
        (message,) = failures
        assert "Money Forward" in message and yen(2185) in message and yen(2186) in message
        assert document.last_error == message and document.external_id
    finally:
        box.reset()
        _wipe(db_session)


assert set(PROVIDERS) == {"moneyforward", "zoho", "freee"}


def test_a_discount_that_no_longer_divides_goes_as_one_exact_line():
    """333 × 3 less 10 % is ¥899 in Renkei (rounded once); folding the discount into the
    unit price (¥300) would send ¥900. The line goes as one unit at ¥899, named so."""
    from types import SimpleNamespace

    from app.services.sync.lines import invoice_lines

    line = SimpleNamespace(
        name="保守",
        unit_price=Decimal(333),
        quantity=Decimal(3),
        discount_percent=Decimal(10),
        tax_rate="standard_10",
        unit="時間",
    )
    deal = SimpleNamespace(lines=[line], title="x", amount=Decimal(0), currency="JPY")
    (sent,) = invoice_lines(deal, "down")
    assert sent.unit_price * sent.quantity == Decimal(899)
    assert sent.quantity == 1 and sent.name == "保守 (3時間 × 333, 10% off)"
    assert sent.unit is None


def test_a_fractional_quantity_is_sent_exactly():
    """1.5 × ¥333 is ¥499.5: Renkei rounds the line half up (¥500); Money Forward would
    round price × quantity down (¥499) by its default 明細行ごとの端数処理."""
    from types import SimpleNamespace

    from app.services.sync.lines import invoice_lines

    line = SimpleNamespace(
        name="作業",
        unit_price=Decimal(333),
        quantity=Decimal("1.5"),
        discount_percent=Decimal(0),
        tax_rate="standard_10",
        unit=None,
    )
    deal = SimpleNamespace(lines=[line], title="x", amount=Decimal(0), currency="JPY")
    (sent,) = invoice_lines(deal)
    assert sent.amount == Decimal(500)
