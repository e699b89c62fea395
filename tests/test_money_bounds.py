"""Money is bounded to what Numeric(18, 4) holds, with the currency's decimals, refused in
words naming the field at every door: services (flush), the REST API (422), the screens."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from flask_babel import force_locale

from app.models.crm import Deal, DealLine
from app.models.documents import ApprovalRule
from app.services.documents import approvals, issuing, payments
from app.services.errors import InvalidInput
from tests.conftest import csrf_token, login
from tests.documents.conftest import entity as entity_fixture
from tests.documents.conftest import line

entity = entity_fixture
MAX_JPY = Decimal("99999999999999")  # 10^14 − 1: the largest whole amount the column holds


@pytest.fixture(autouse=True)
def english(db_session):
    """Messages in English, so the tests can read them (the default locale is Japanese)."""
    with force_locale("en"):
        yield


def _users():
    from flask import current_app

    sm = current_app.appbuilder.sm
    return {"accounting": sm.find_user(username="accounting")}


def auth(token):
    return {"Authorization": f"Bearer {token}"}


def _deal_line(db_session, sample, **fields):
    deal = sample["with_lines"]
    made = DealLine(deal=deal, position=9, name="x", tax_rate="standard_10", **fields)
    db_session.add(made)
    try:
        db_session.commit()
    except InvalidInput:
        db_session.rollback()
        raise
    return made


def test_deal_line_bounds(db_session, sample):
    deal = sample["with_lines"]
    for line_ in list(deal.lines):  # a deal with one line: its amount is the line's
        db_session.delete(line_)
    db_session.commit()
    top = _deal_line(db_session, sample, unit_price=MAX_JPY, quantity=Decimal(1))
    assert top.amount == MAX_JPY and deal.amount == MAX_JPY
    db_session.delete(top)
    db_session.commit()
    cases = [
        ({"unit_price": MAX_JPY + 1, "quantity": Decimal(1)}, "unit_price", "too large"),
        ({"unit_price": Decimal("1.12345"), "quantity": Decimal(1)}, "unit_price", "decimals"),
        ({"unit_price": Decimal(1), "quantity": Decimal("1.00001")}, "quantity", "decimals"),
        ({"unit_price": Decimal(1), "quantity": Decimal(10) ** 10}, "quantity", "too large"),
        ({"unit_price": Decimal(10) ** 15, "quantity": Decimal(10) ** 6}, "unit_price", "large"),
        ({"unit_price": Decimal(10) ** 9, "quantity": Decimal(10) ** 6}, "amount", "too large"),
        ({"unit_price": MAX_JPY, "quantity": Decimal(2)}, "amount", "too large"),
    ]
    for fields, field, words in cases:
        with pytest.raises(InvalidInput) as refused:
            _deal_line(db_session, sample, **fields)
        assert refused.value.field == field, (fields, refused.value.field)
        assert words in str(refused.value)
    # Four decimals in price and quantity are fine.
    ok = _deal_line(db_session, sample, unit_price=Decimal("1.1234"), quantity=Decimal("2.5001"))
    assert ok.amount == Decimal(3)


def test_typed_deal_amount_bounds(db_session, sample):
    def deal(amount, currency="JPY"):
        made = Deal(title="t", company=sample["sakura"], stage="lead", currency=currency)
        made.amount = amount
        db_session.add(made)
        try:
            db_session.commit()
        except InvalidInput as exc:
            db_session.rollback()
            return exc
        return made

    assert deal(MAX_JPY).amount == MAX_JPY
    assert deal(MAX_JPY + 1).field == "amount"
    assert "whole number" in str(deal(Decimal("10.5")))
    assert deal(Decimal("10.25"), "USD").amount == Decimal("10.25")
    assert "decimals" in str(deal(Decimal("10.255"), "USD"))


def test_document_totals_and_payments_are_bounded(db_session, sample, entity):
    users = _users()
    half = str(MAX_JPY // 2 + 1)
    with pytest.raises(InvalidInput) as refused:
        issuing.new_document(
            "invoice", sample["sakura"], lines=[line(price=half), line(price=half)]
        )
    db_session.rollback()
    assert refused.value.field in ("subtotal", "total")
    invoice = issuing.new_document("invoice", sample["sakura"], lines=[line(price="1000")])
    approvals.submit(invoice, users["accounting"])
    invoice.state = "sent"
    db_session.commit()
    # "1e15" is no way to write an amount here: it is refused as not a number.
    cases = (
        ("0.5", "whole number"),
        ("1000000000000000", "too large"),
        ("1e15", "not a number"),
        ("NaN", "number"),
    )
    for amount, words in cases:
        with pytest.raises(InvalidInput) as refused:
            payments.record_payment(invoice, amount, dt.date.today(), user=users["accounting"])
        assert refused.value.field == "amount" and words in str(refused.value)
    assert payments.record_payment(invoice, "100", user=users["accounting"]).amount == 100


def test_approval_rule_threshold_bounds(db_session):
    for amount, currency in ((MAX_JPY + 1, "JPY"), (Decimal("0.5"), "JPY")):
        db_session.add(ApprovalRule(name="r", currency=currency, min_amount=amount))
        with pytest.raises(InvalidInput) as refused:
            db_session.commit()
        db_session.rollback()
        assert refused.value.field == "min_amount"
    db_session.add(ApprovalRule(name="r", currency="JPY", min_amount=MAX_JPY))
    db_session.commit()


def test_the_api_answers_422_naming_the_field(client, api_token, sample, entity):
    deal = sample["with_lines"].id
    for body, field in (
        ({"unit_price": "1000000000000000", "quantity": "1000000"}, "unit_price"),
        ({"unit_price": 1.12345, "quantity": "1"}, "unit_price"),
        ({"unit_price": "1", "quantity": "1.00001"}, "quantity"),
    ):
        payload = {"deal": deal, "name": "x", "tax_rate": "standard_10", **body}
        response = client.post("/api/v1/deal_line/?_l_=en", headers=auth(api_token), json=payload)
        assert response.status_code == 422, response.get_json()
        assert field in response.get_json()["message"], response.get_json()
    # Computed: price and quantity fit, their product does not.
    payload = {"deal": deal, "name": "x", "unit_price": "1000000000", "quantity": "1000000"}
    response = client.post("/api/v1/deal_line/?_l_=en", headers=auth(api_token), json=payload)
    assert response.status_code == 422, response.get_json()
    assert "line amount" in str(response.get_json()["message"])
    response = client.put(
        f"/api/v1/deal/{sample['amount_only'].id}",
        headers=auth(api_token),
        json={"amount": "100000000000000"},
    )
    assert response.status_code == 422, response.get_json()
    invoice = issuing.new_document("invoice", sample["sakura"], lines=[line()])
    response = client.post(
        "/api/v1/invoice_line/",
        headers=auth(api_token),
        json={"document": invoice.id, "name": "x", "unit_price": "1e15", "quantity": "1"},
    )
    assert response.status_code == 422, response.get_json()
    assert "unit_price" in response.get_json()["message"]


def test_a_screen_refuses_five_decimals_in_words(app, db_session, sample, entity):
    invoice = issuing.new_document("invoice", sample["sakura"], lines=[line()])
    client = app.test_client()
    login(client, "accounting")
    add = f"/invoicelines/add?_flt_0_document={invoice.id}"
    response = client.post(
        add + "&_l_=en",
        data={
            "csrf_token": csrf_token(client, add),
            "document": invoice.id,
            "name": "細かい単価",
            "unit_price": "1.12345",
            "quantity": "1",
            "discount_percent": "0",
            "tax_rate": "standard_10",
        },
    )
    text = response.get_data(as_text=True)
    assert "too many decimals" in text, text[:2000]
    db_session.expire_all()
    assert len(invoice.lines) == 1
