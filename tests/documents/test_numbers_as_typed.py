"""Numbers as people type them: "13,870", full-width digits, ¥/￥ and 円, spaces — one
reader (services.money.parse_amount) for the screens and the REST API; anything else is
refused in words (never WTForms' 「無効な少数です。」)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.models.crm import DealLine
from app.models.documents import Document
from app.services.documents import issuing
from app.services.errors import InvalidInput
from app.services.money import parse_amount
from tests.conftest import csrf_token, login
from tests.documents.conftest import line
from tests.documents.test_api_documents import api  # noqa: F401 (fixture)
from tests.documents.test_screens import sent


@pytest.mark.parametrize(
    ("typed", "number"),
    [
        ("13,870", "13870"),
        ("１３８７０", "13870"),
        ("１３，８７０", "13870"),
        ("１２．５", "12.5"),
        ("13870円", "13870"),
        ("¥13,870", "13870"),
        ("￥500,000", "500000"),
        ("  1,000,000.25 ", "1000000.25"),
        ("\u3000５００円\u3000", "500"),
        ("-1,000", "-1000"),
        ("0.5", "0.5"),
    ],
)
def test_what_people_type_is_read(typed, number):
    assert parse_amount(typed) == Decimal(number)


@pytest.mark.parametrize("typed", ["abc", "1,2345", "13 870", "1.2.3", "¥", "12a", "NaN", "1e5"])
def test_anything_else_is_refused_in_words(typed):
    with pytest.raises(InvalidInput, match="13,870") as refused:
        parse_amount(typed, "unit_price", "Unit price")
    assert refused.value.field == "unit_price"


def test_blank_is_none():
    assert parse_amount("  ") is None and parse_amount(None) is None


def _post(client, url, data):
    return client.post(url, data={**data, "csrf_token": csrf_token(client, url)})


def test_a_deal_line_takes_13870_and_refuses_words_in_japanese(app, sample, db_session):
    client = app.test_client()
    login(client, "admin")
    deal = sample["with_lines"]
    url = f"/deallineview/add?_flt_0_deal={deal.id}"
    form = {
        "deal": deal.id,
        "position": "7",
        "name": "カンマ入り",
        "unit_price": "13,870",
        "quantity": "２",
        "discount_percent": "0",
        "tax_rate": "standard_10",
    }
    assert _post(client, url, form).status_code == 302
    saved = db_session.query(DealLine).filter_by(name="カンマ入り").one()
    assert (saved.unit_price, saved.quantity) == (Decimal("13870"), Decimal("2"))
    refused = _post(client, url + "&_l_=ja", {**form, "name": "文字", "unit_price": "千円"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 200
    assert "少数" not in html and "Not a valid decimal" not in html
    assert "13,870" in html  # the message shows how to write it
    assert db_session.query(DealLine).filter_by(name="文字").count() == 0


def test_the_api_takes_a_line_price_and_a_payment_as_typed(api, sample, entity, db_session):  # noqa: F811
    invoice = issuing.new_document("invoice", sample["sakura"], lines=[line()])
    made = api(
        "accounting",
        "POST",
        "/api/v1/invoice_line/",
        {"document": invoice.id, "name": "手入力", "unit_price": "¥13,870", "quantity": "１"},
    )
    assert made.status_code == 201, made.get_json()
    bad = api(
        "accounting",
        "POST",
        "/api/v1/invoice_line/",
        {"document": invoice.id, "name": "x", "unit_price": "千円", "quantity": 1},
    )
    assert bad.status_code == 422 and "unit_price" in bad.get_json()["message"]
    sent(db_session.get(Document, invoice.id), db_session)
    paid = api(
        "accounting",
        "POST",
        f"/api/v1/invoice/{invoice.id}/payment",
        {"amount": "５０，０００円", "paid_on": "2026-12-01"},
    )
    assert paid.status_code == 201, paid.get_json()
    db_session.expire_all()
    assert db_session.get(Document, invoice.id).payments[0].amount == Decimal("50000")
