"""Approval reasons are stored as data and read in the reader's language: a request
submitted on a Japanese screen reads in English to an English-speaking approver and in
Japanese to a Japanese one (queue, document page, audit trail); old plain-text reasons
are shown as they were written."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from flask_babel import refresh

from app.models.documents import ApprovalRequest, Document
from app.services.documents import approvals, issuing
from tests.conftest import login
from tests.documents.conftest import line
from tests.documents.test_screens import post

# ¥2,000,000 less 30 % plus 10 % tax = ¥1,540,000: both rules ask (≥ ¥1,000,000; > 20 %)
BIG = [line(price="2000000", discount="30")]
EN_AMOUNT = "高額: the total ¥1,540,000 is at or above ¥1,000,000."
JA_AMOUNT = "高額: 合計 ￥1,540,000 が ￥1,000,000 以上です。"
EN_DISCOUNT = "値引き: a discount of 30% is above 20%."
JA_DISCOUNT = "値引き: 値引き 30% が 20% を超えています。"
OLD_TEXT = "高額: 合計 ¥1,650,000 が ¥1,000,000 以上です。"


@pytest.fixture()
def reader(app, db_session):
    """A signed-in client whose chosen language (``/lang/<code>``) stays in its session."""

    def make(username, language):
        client = app.test_client()
        login(client, username)
        refresh()
        assert client.get(f"/lang/{language}").status_code == 302
        return client

    return make


def read(client, url):
    refresh()  # the tests share one app context, where Flask-Babel caches the language
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def in_language(app, language, fn):
    """``fn()`` inside a request whose reader chose ``language``."""
    with app.test_request_context(f"/?_l_={language}"):
        refresh()
        try:
            return fn()
        finally:
            refresh()


def test_a_request_submitted_in_japanese_reads_in_each_readers_language(
    app, reader, sample, entity, rules, users, db_session
):
    invoice = issuing.new_document(
        "invoice",
        sample["sakura"],
        user=users["sales"],
        lines=[*BIG, line()],  # ¥1,650,000 with tax
    )
    # Submitted on a Japanese screen.
    submitter = reader("accounting", "ja_JP")
    assert post(submitter, f"/invoices/act/{invoice.id}", {"action": "submit"}).status_code == 302
    db_session.expire_all()
    document = db_session.get(Document, invoice.id)
    assert document.state == "pending_approval"
    # Stored as data, not as the submitter's words.
    stored = approvals.pending_request(document).reasons
    assert json.loads(stored) == [
        {
            "rule": "高額",
            "kind": "amount",
            "value": "1650000",
            "limit": "1000000",
            "currency": "JPY",
        },
        {"rule": "値引き", "kind": "discount", "value": "30", "limit": "20", "currency": None},
    ]
    assert "以上" not in stored and "above" not in stored
    # Read back by an English-speaking approver and a Japanese-speaking one.
    english = read(reader("approver", "en"), "/approvals/list/")
    assert "高額: the total ¥1,650,000 is at or above ¥1,000,000." in english
    japanese = read(reader("admin", "ja_JP"), "/approvals/list/")
    assert "高額: 合計 ￥1,650,000 が ￥1,000,000 以上です。" in japanese


@pytest.fixture()
def pending_big(app, sample, entity, rules, users, db_session):
    """An invoice waiting for approval, submitted by sales on a Japanese screen."""
    invoice = issuing.new_document("invoice", sample["sakura"], user=users["sales"], lines=BIG)
    in_language(app, "ja_JP", lambda: approvals.submit(invoice, users["sales"]))
    assert invoice.total == Decimal(1_540_000)
    return invoice


def test_the_queue_shows_the_reasons_in_the_readers_language(reader, pending_big):
    english = read(reader("approver", "en"), "/approvals/list/")
    assert EN_AMOUNT in english and EN_DISCOUNT in english
    assert JA_AMOUNT not in english
    japanese = read(reader("admin", "ja_JP"), "/approvals/list/")
    assert JA_AMOUNT in japanese and JA_DISCOUNT in japanese
    assert EN_AMOUNT not in japanese


def test_the_document_page_and_its_trail_show_them_in_the_readers_language(reader, pending_big):
    url = f"/invoices/show/{pending_big.id}"
    english = read(reader("approver", "en"), url)
    history = english.split('id="approval-history"')[1].split('id="audit-trail"')[0]
    assert EN_AMOUNT in history and EN_DISCOUNT in history
    trail = english.split('id="audit-trail"')[1]
    assert EN_AMOUNT in trail  # the trail's "reasons" value, in words
    japanese = read(reader("admin", "ja_JP"), url)
    assert JA_AMOUNT in japanese.split('id="approval-history"')[1].split('id="audit-trail"')[0]
    assert JA_AMOUNT in japanese.split('id="audit-trail"')[1]
    for html in (english, japanese):
        assert "&#34;kind&#34;" not in html and '"kind":' not in html  # no raw JSON


def test_old_plain_text_reasons_are_shown_as_they_are(
    app, reader, sample, entity, users, db_session
):
    invoice = issuing.new_document("invoice", sample["sakura"], user=users["sales"], lines=BIG)
    invoice.state = "pending_approval"  # as an old submit left it
    db_session.add(
        ApprovalRequest(
            document=invoice,
            reasons=OLD_TEXT + "\n値引き: 値引き 25% が 20% を超えています。",
            amount=invoice.total,
            requested_by=users["sales"],
        )
    )
    db_session.commit()
    english = read(reader("approver", "en"), "/approvals/list/")
    assert f"<div>{OLD_TEXT}</div>" in english
    assert "<div>値引き: 値引き 25% が 20% を超えています。</div>" in english
    page = read(reader("approver", "en"), f"/invoices/show/{invoice.id}")
    assert OLD_TEXT in page.split('id="approval-history"')[1]


def test_one_place_turns_a_reason_into_words(app, db_session):
    amount = {
        "rule": "Big",
        "kind": "amount",
        "value": "12.5",
        "limit": "10",
        "currency": "USD",
    }
    discount = {"rule": "Off", "kind": "discount", "value": "25", "limit": "20"}
    stored = approvals.encode_reasons([amount, discount])
    assert in_language(app, "en", lambda: approvals.reasons_in_words(stored)) == [
        "Big: the total $12.50 is at or above $10.00.",
        "Off: a discount of 25% is above 20%.",
    ]
    assert in_language(app, "ja_JP", lambda: approvals.reasons_in_words(stored)) == [
        "Big: 合計 $12.50 が $10.00 以上です。",
        "Off: 値引き 25% が 20% を超えています。",
    ]
    # Old rows: plain text, one reason a line, whatever the reader's language.
    assert in_language(app, "en", lambda: approvals.reasons_in_words(OLD_TEXT)) == [OLD_TEXT]
    assert approvals.decode_reasons("[not json") == ["[not json"]
    assert approvals.decode_reasons(json.dumps(["a", "b"])) == ['["a", "b"]']
