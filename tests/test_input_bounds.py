"""Dates and one-line texts within sense: a payment in 1900 or 2999 is refused, and a
recipient, a name or a subject with CR/LF (or any control character) is refused."""

from __future__ import annotations

import datetime as dt

import pytest
from flask_babel import force_locale

from app.models.crm import Company
from app.services.documents import approvals, issuing, payments, templates
from app.services.documents.lifecycle import today_tokyo
from app.services.errors import InvalidInput
from tests.documents.conftest import entity as entity_fixture
from tests.documents.conftest import line

entity = entity_fixture


@pytest.fixture(autouse=True)
def english(db_session):
    """Messages in English, so the tests can read them (the default locale is Japanese)."""
    with force_locale("en"):
        yield


def _user(name):
    from flask import current_app

    return current_app.appbuilder.sm.find_user(username=name)


@pytest.fixture()
def invoice(db_session, sample, entity):
    document = issuing.new_document("invoice", sample["sakura"], lines=[line(price="10000")])
    approvals.submit(document, _user("accounting"))
    document.state = "sent"
    db_session.commit()
    return document


def test_payment_dates_lie_between_2000_and_a_year_from_today(db_session, invoice):
    accounting = _user("accounting")
    last = today_tokyo() + dt.timedelta(days=365)
    for day in (
        dt.date(1900, 1, 1),
        dt.date(1999, 12, 31),
        last + dt.timedelta(days=1),
        dt.date(2999, 1, 1),
    ):
        with pytest.raises(InvalidInput) as refused:
            payments.record_payment(invoice, "1", day, user=accounting)
        db_session.rollback()
        assert refused.value.field == "paid_on" and "2000-01-01" in str(refused.value)
    assert payments.record_payment(invoice, "1", dt.date(2000, 1, 1), user=accounting)
    assert payments.record_payment(invoice, "1", last, user=accounting)


def test_the_api_refuses_a_payment_in_2999(client, api_token, invoice):
    response = client.post(
        f"/api/v1/invoice/{invoice.id}/payment",
        headers={"Authorization": f"Bearer {api_token}"},
        json={"amount": "1", "paid_on": "2999-01-01"},
    )
    assert response.status_code == 422, response.get_json()
    assert "paid_on" in response.get_json()["message"]


@pytest.mark.parametrize("bad", ["A\r\nBcc: x@example.com", "A\nB", "A\tB", "A\x00B", "A\u2028B"])
def test_a_recipient_with_a_line_break_is_refused(db_session, sample, entity, bad):
    with pytest.raises(InvalidInput) as refused:
        issuing.new_document("invoice", sample["sakura"], recipient_name=bad, lines=[line()])
    db_session.rollback()
    assert refused.value.field == "recipient_name"
    assert "one line" in str(refused.value)


def test_names_and_subjects_are_one_line(db_session, client, api_token, sample, entity):
    db_session.add(Company(code="C-9", name="悪い\r\n会社"))
    with pytest.raises(InvalidInput) as refused:
        db_session.commit()
    db_session.rollback()
    assert refused.value.field == "name"
    response = client.post(
        "/api/v1/company/",
        headers={"Authorization": f"Bearer {api_token}"},
        json={"code": "C-10", "name": "x\ny"},
    )
    assert response.status_code == 422, response.get_json()
    document = issuing.new_document("invoice", sample["sakura"], lines=[line()])
    response = client.put(
        f"/api/v1/invoice/{document.id}",
        headers={"Authorization": f"Bearer {api_token}"},
        json={"recipient_name": "御中\r\nX-Injected: 1"},
    )
    assert response.status_code == 422, response.get_json()
    with pytest.raises(InvalidInput):
        templates.propose(
            "email",
            "invoice",
            "ja",
            "本文 {{ number }}",
            subject="件名\r\nBcc: x@example.com",
            user=_user("admin"),
        )
    db_session.rollback()
    # Multi-line text stays multi-line.
    document.terms = "一行目\n二行目"
    db_session.commit()
