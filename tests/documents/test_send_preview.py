"""Send with a preview: the page shows the recipient, cc, subject, body and attachment
name the email would carry; what the person edits there is what the sink receives and
what the audit trail records; a bad field is refused in words (JSON for the page's
script) and nothing is queued; the status URL the page polls says when it is done."""

from __future__ import annotations

import html as htmlmod

import pytest
from flask_babel import force_locale

from app.models.audit import AuditEntry
from app.models.publishing import EmailDispatch
from tests.conftest import csrf_token, login
from tests.documents.test_sending import approved


@pytest.fixture(autouse=True)
def english(db_session):
    with force_locale("en"):
        yield


@pytest.fixture()
def invoice(db_session, sample, entity, users, mail, run_jobs):
    return approved("invoice", sample, users)


def test_the_page_previews_the_email_and_sends_it_as_edited(
    client, db_session, invoice, mail, run_jobs
):
    login(client, "accounting")
    page = htmlmod.unescape(client.get(f"/invoices/show/{invoice.id}").get_data(as_text=True))
    assert 'id="send-preview"' in page
    assert f"【請求書】{invoice.number} のご送付（株式会社レンケイ）" in page  # the subject
    assert "株式会社さくら商事 御中" in page  # the body
    assert f'value="{invoice.number}.pdf"' in page  # the attachment's name
    token = csrf_token(client, f"/invoices/show/{invoice.id}")
    response = client.post(
        f"/invoices/send/{invoice.id}",
        data={
            "csrf_token": token,
            "recipient": "keiri@sakura.example",
            "cc": "boss@sakura.example, sales@renkei.example",
            "subject": "12月分のご請求書",
            "body": "いつもお世話になっております。\n添付の通りご請求申し上げます。",
            "attachment_name": "請求書_12月",
        },
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    status_url = response.get_json()["status_url"]
    before = client.get(status_url).get_json()
    assert before["state"] == "queued" and not before["finished"]
    run_jobs()
    after = client.get(status_url).get_json()
    assert after["finished"] and after["state"] == "sent" and after["document_state"] == "sent"
    assert 'data-state="sent"' in after["document_badge"]

    [received] = mail.messages()
    assert received.subject == "12月分のご請求書"
    assert set(received.rcpt_tos) == {
        "keiri@sakura.example",
        "boss@sakura.example",
        "sales@renkei.example",
    }
    assert received.parsed["Cc"] == "boss@sakura.example, sales@renkei.example"
    assert "添付の通り" in received.parsed.get_body(("plain",)).get_content()
    assert received.attachment_names == ["請求書_12月.pdf"]

    dispatch = db_session.query(EmailDispatch).filter_by(document_id=invoice.id).one()
    trail = {
        e.field: e.new_value
        for e in db_session.query(AuditEntry).filter_by(document_id=invoice.id, action="send")
    }
    assert trail["subject"] == "12月分のご請求書" == dispatch.subject
    assert trail["cc"] == "boss@sakura.example, sales@renkei.example"
    assert trail["attachment_name"] == "請求書_12月.pdf"
    assert trail["recipient"] == "keiri@sakura.example"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("cc", "boss@sakura, x"),
        ("subject", ""),
        ("subject", "two\nlines"),
        ("body", "   "),
        ("attachment_name", "../../etc/passwd"),
        ("recipient", "nobody"),
    ],
)
def test_a_bad_field_is_refused_in_words_and_nothing_is_queued(
    client, db_session, invoice, field, value
):
    login(client, "accounting")
    token = csrf_token(client, f"/invoices/show/{invoice.id}")
    response = client.post(
        f"/invoices/send/{invoice.id}",
        data={"csrf_token": token, field: value},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 422
    [(name, sentence)] = response.get_json()["errors"].items()
    assert name == ("recipient_email" if field == "recipient" else field) and sentence
    assert db_session.query(EmailDispatch).filter_by(document_id=invoice.id).count() == 0


def test_without_script_the_form_post_lands_on_the_page_which_polls_the_email(
    client, db_session, invoice
):
    login(client, "accounting")
    token = csrf_token(client, f"/invoices/show/{invoice.id}")
    response = client.post(
        f"/invoices/send/{invoice.id}", data={"csrf_token": token, "subject": "件名だけ変更"}
    )
    assert response.status_code == 302
    dispatch = db_session.query(EmailDispatch).filter_by(document_id=invoice.id).one()
    assert dispatch.subject == "件名だけ変更"
    page = client.get(f"/invoices/show/{invoice.id}").get_data(as_text=True)
    assert f'data-status-url="/invoices/email_status/{dispatch.id}"' in page


def test_the_status_of_an_email_is_for_readers_of_its_kind(
    client, db_session, invoice, users, run_jobs
):
    from app.services.documents import sending

    dispatch = sending.request_send(invoice, users["accounting"])
    login(client, "readonly")
    assert client.get(f"/invoices/email_status/{dispatch.id}").status_code == 200
    assert client.get(f"/quotes/email_status/{dispatch.id}").status_code == 404
    client.get("/logout/")
    assert client.get(f"/invoices/email_status/{dispatch.id}").status_code in (302, 401)
