"""Void and write-off cancel money owed: they need a reason from every door (service,
screen, REST API), keep it in the audit trail, and sit apart on the document page behind
a reason field and a confirmation."""

from __future__ import annotations

import re

import pytest

from app.models.audit import AuditEntry
from app.models.documents import Document
from app.services.documents import actions, issuing
from app.services.errors import InvalidInput
from tests.documents.conftest import line
from tests.documents.test_api_documents import api  # noqa: F401 (fixture)
from tests.documents.test_screens import as_user, page, post, sent  # noqa: F401 (fixture)


def _transition(db_session, document, new_value):
    return (
        db_session.query(AuditEntry)
        .filter_by(document_id=document.id, action="transition", new_value=new_value)
        .order_by(AuditEntry.id.desc())
        .first()
    )


@pytest.mark.parametrize(("action", "state"), [("void", "void"), ("write_off", "written_off")])
def test_the_service_refuses_without_a_reason_and_keeps_it(
    action, state, sample, entity, users, db_session
):
    invoice = sent(issuing.new_document("invoice", sample["sakura"], lines=[line()]), db_session)
    for blank in (None, "", "   "):
        with pytest.raises(InvalidInput) as refused:
            actions.perform(invoice, action, users["accounting"], blank)
        assert refused.value.field == "comment"
    db_session.expire_all()
    assert db_session.get(Document, invoice.id).state == "sent"
    actions.perform(invoice, action, users["accounting"], "  取引先倒産のため  ")
    db_session.expire_all()
    assert db_session.get(Document, invoice.id).state == state
    assert _transition(db_session, invoice, state).note == "取引先倒産のため"


def test_a_dispute_keeps_its_optional_reason(sample, entity, users, db_session):
    invoice = sent(issuing.new_document("invoice", sample["sakura"], lines=[line()]), db_session)
    actions.perform(invoice, "dispute", users["accounting"], "金額相違の連絡あり")
    assert _transition(db_session, invoice, "disputed").note == "金額相違の連絡あり"
    actions.perform(invoice, "resolve", users["accounting"])
    assert _transition(db_session, invoice, "sent").note is None


def test_the_screen_sets_void_apart_and_needs_a_reason(as_user, sample, entity, db_session):  # noqa: F811
    invoice = sent(issuing.new_document("invoice", sample["sakura"], lines=[line()]), db_session)
    client = as_user("accounting")
    html = page(client, f"/invoices/show/{invoice.id}")
    bar = re.search(r'id="doc-actions".*?id="doc-guarded"', html, re.S).group(0)
    # everyday buttons first; no void or write-off among them
    assert 'id="btn-void"' not in bar and 'id="btn-write_off"' not in bar
    guarded = re.search(r'id="doc-guarded".*?</div>\s*</div>', html, re.S).group(0)
    for name in ("void", "write_off"):
        form = re.search(rf'<details[^>]*id="guard-{name}".*?</details>', guarded, re.S).group(0)
        assert 'name="comment"' in form and "required" in form
        assert f'id="{name}-confirm"' in form and 'id="btn-' + name + '"' in form
        assert "btn-danger" in form
    assert "<script" not in guarded
    refused = post(client, f"/invoices/act/{invoice.id}", {"action": "void", "comment": " "})
    assert refused.status_code in (302, 422)
    db_session.expire_all()
    assert db_session.get(Document, invoice.id).state == "sent"
    done = post(client, f"/invoices/act/{invoice.id}", {"action": "void", "comment": "二重発行"})
    assert done.status_code == 302
    db_session.expire_all()
    assert db_session.get(Document, invoice.id).state == "void"
    assert _transition(db_session, invoice, "void").note == "二重発行"


def test_the_api_needs_a_reason_to_void(api, sample, entity, db_session):  # noqa: F811
    invoice = sent(issuing.new_document("invoice", sample["sakura"], lines=[line()]), db_session)
    url = f"/api/v1/invoice/{invoice.id}/action/write_off"
    refused = api("accounting", "POST", url, {})
    assert refused.status_code == 422, refused.get_json()
    assert "comment" in str(refused.get_json())
    done = api("accounting", "POST", url, {"comment": "回収不能"})
    assert done.status_code == 200, done.get_json()
    assert _transition(db_session, invoice, "written_off").note == "回収不能"
