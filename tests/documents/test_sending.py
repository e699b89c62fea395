"""Sending a document over real SMTP (the sink on a loopback port) with a real RQ worker:
sent only after the server accepted it, failures kept and retried, rights, audit, outbox."""

from __future__ import annotations

import email
from decimal import Decimal
from email import policy

import pytest
from flask_babel import force_locale

from app.models.audit import AuditEntry
from app.models.crm import utcnow
from app.models.publishing import EmailDispatch
from app.services.documents import approvals, issuing, lifecycle, payments, sending
from app.services.errors import Forbidden, InvalidInput
from tests.conftest import csrf_token, login

TO = "hanako@example.com"
LINES = [
    {"name": "導入支援", "unit_price": Decimal(100000), "quantity": Decimal(1)},
    {
        "name": "お弁当",
        "unit_price": Decimal(1080),
        "quantity": Decimal(10),
        "tax_rate": "reduced_8",
    },
]


@pytest.fixture(autouse=True)
def english(db_session):
    """Messages in English, so the tests can read them (the default locale is Japanese)."""
    with force_locale("en"):
        yield


def approved(kind, sample, users, **fields):
    fields.setdefault("recipient_email", TO)
    doc = issuing.new_document(
        kind, sample["sakura"], user=users["accounting"], lines=[dict(x) for x in LINES], **fields
    )
    approvals.submit(doc, users["accounting"])
    return doc


@pytest.fixture()
def invoice(db_session, sample, entity, users, mail, run_jobs):
    return approved("invoice", sample, users)


def refreshed(session, *records):
    for record in records:
        session.refresh(record)


def test_sent_after_the_server_accepts_with_the_stored_pdf_attached(
    db_session, invoice, users, mail, run_jobs
):
    dispatch = sending.request_send(invoice, users["accounting"])
    assert dispatch.state == "queued" and invoice.state == "approved"  # not yet sent
    assert dispatch.template.purpose == "email" and dispatch.pdf.template.purpose == "pdf"
    run_jobs()
    refreshed(db_session, dispatch, invoice)
    assert (dispatch.state, dispatch.attempts, dispatch.error) == ("sent", 1, None)
    assert invoice.state == "sent" and invoice.sent_at == dispatch.sent_at

    [received] = mail.messages()
    assert received.rcpt_tos == (TO,)
    assert received.subject == f"【請求書】{invoice.number} のご送付（株式会社レンケイ）"
    assert received.parsed["Message-ID"] == dispatch.message_id
    body = received.parsed.get_body(("plain",)).get_content()
    assert "株式会社さくら商事 御中" in body and "￥121,664" in body and "お支払期限" in body
    [attachment] = received.parsed.iter_attachments()
    assert attachment.get_filename() == f"{invoice.number}.pdf"
    assert attachment.get_content() == dispatch.pdf.content  # the very PDF that is stored

    trail = (
        db_session.query(AuditEntry).filter_by(document_id=invoice.id).order_by(AuditEntry.id).all()
    )
    sends = [e.new_value for e in trail if e.action == "send" and e.field == "state"]
    assert sends == ["queued", "sending", "sent"]
    moved = [e for e in trail if e.action == "transition" and e.new_value == "sent"]
    assert len(moved) == 1 and moved[0].old_value == "approved"
    assert {e.username for e in trail if e.action in ("send", "transition", "pdf")} == {
        "accounting"
    }
    # The outbox's .eml is the message as sent: same Message-ID, same PDF.
    copy = email.message_from_bytes(sending.eml_bytes(dispatch), policy=policy.default)
    assert copy["Message-ID"] == dispatch.message_id
    assert next(copy.iter_attachments()).get_content() == dispatch.pdf.content


@pytest.mark.parametrize("fault", ["tempfail", "drop"])
def test_a_server_that_is_not_there_leaves_it_unsent_and_a_retry_sends_it(
    db_session, invoice, users, mail, run_jobs, fault
):
    mail.fail_next(fault)
    dispatch = sending.request_send(invoice, users["accounting"])
    run_jobs()
    refreshed(db_session, dispatch, invoice)
    assert dispatch.state == "failed" and dispatch.error and dispatch.attempts == 1
    assert invoice.state == "approved" and invoice.sent_at is None  # nothing marked sent
    assert mail.messages() == []
    with pytest.raises(Forbidden):  # retrying is sending: it needs the send right
        sending.retry_send(dispatch, users["sales"])
    sending.retry_send(dispatch, users["accounting"])
    assert dispatch.state == "queued" and dispatch.error is None
    run_jobs()
    refreshed(db_session, dispatch, invoice)
    assert (dispatch.state, dispatch.attempts) == ("sent", 2)
    assert invoice.state == "sent" and len(mail.messages()) == 1
    errors = [
        e.old_value
        for e in db_session.query(AuditEntry).filter_by(document_id=invoice.id, field="error")
    ]
    assert any(errors)  # the failure stays in the trail after the retry cleared it


def test_a_refused_recipient_fails_for_good(db_session, invoice, users, mail, run_jobs):
    mail.fail_next("reject")
    dispatch = sending.request_send(invoice, users["accounting"])
    run_jobs()
    refreshed(db_session, dispatch, invoice)
    assert dispatch.state == "failed" and TO in dispatch.error and "550" in dispatch.error
    assert invoice.state == "approved" and mail.messages() == []
    with pytest.raises(InvalidInput):  # only failed ones are retried
        sending.retry_send(dispatch, users["accounting"], recipient="not an address")
    sending.retry_send(dispatch, users["accounting"], recipient="sato@example.jp")
    run_jobs()
    refreshed(db_session, dispatch)
    assert dispatch.state == "sent" and mail.messages()[0].rcpt_tos == ("sato@example.jp",)


@pytest.mark.parametrize("who", ["sales", "readonly", "approver"])
def test_without_the_send_right_nothing_is_queued(db_session, invoice, users, who):
    with pytest.raises(Forbidden, match="can_send_email"):
        sending.request_send(invoice, users[who])
    assert db_session.query(EmailDispatch).count() == 0


def test_a_right_lost_before_the_job_runs_sends_nothing(db_session, invoice, users, mail, run_jobs):
    dispatch = sending.request_send(invoice, users["accounting"])
    users["accounting"].active = False
    db_session.commit()
    try:
        run_jobs()
    finally:
        users["accounting"].active = True
        db_session.commit()
    refreshed(db_session, dispatch, invoice)
    assert dispatch.state == "failed" and dispatch.attempts == 0
    assert invoice.state == "approved" and mail.messages() == []


def test_what_cannot_be_sent_is_refused_in_words(db_session, sample, entity, users, mail):
    draft = issuing.new_document(
        "invoice", sample["sakura"], user=users["accounting"], lines=[dict(LINES[0])]
    )
    with pytest.raises(InvalidInput, match="approved"):
        sending.request_send(draft, users["accounting"])
    nobody = approved("quote", sample, users, recipient_email=None)
    with pytest.raises(InvalidInput, match="recipient email"):
        sending.request_send(nobody, users["accounting"])
    with pytest.raises(InvalidInput, match="not an email address"):
        sending.request_send(nobody, users["accounting"], recipient="sato@@example")
    sending.request_send(nobody, users["accounting"], recipient="sato@example.jp")
    with pytest.raises(InvalidInput, match="on its way"):
        sending.request_send(nobody, users["accounting"], recipient="sato@example.jp")


def test_sending_a_credit_note_settles_its_invoice(db_session, invoice, users, mail, run_jobs):
    lifecycle.move(invoice, "sent")
    db_session.commit()
    credit = issuing.credit_note_for(invoice, user=users["accounting"])
    approvals.submit(credit, users["accounting"])
    dispatch = sending.request_send(credit, users["accounting"])
    run_jobs()
    refreshed(db_session, dispatch, credit, invoice)
    assert dispatch.state == "sent" and credit.state == "sent"
    assert "適格返還請求書" in mail.messages()[0].subject
    assert payments.balance(invoice) == 0 and invoice.state == "paid"


def test_the_outbox_lists_downloads_and_retries(
    app, client, db_session, invoice, users, mail, run_jobs
):
    mail.fail_next("tempfail")
    dispatch = sending.request_send(invoice, users["accounting"])
    run_jobs()
    login(client, "accounting")
    page = client.get("/outbox/list/").get_data(as_text=True)
    assert TO in page and invoice.number in page
    show = client.get(f"/outbox/show/{dispatch.id}").get_data(as_text=True)
    assert f"/outbox/eml/{dispatch.id}" in show and dispatch.error in show
    eml = client.get(f"/outbox/eml/{dispatch.id}")
    assert eml.status_code == 200 and eml.mimetype == "message/rfc822"
    client.get(f"/outbox/action/retry/{dispatch.id}")  # a GET never changes anything
    refreshed(db_session, dispatch)
    assert dispatch.state == "failed"
    response = client.post(
        "/outbox/action_post",
        data={
            "action": "retry",
            "rowid": str(dispatch.id),
            "csrf_token": csrf_token(client, "/outbox/list/"),
        },
    )
    assert response.status_code == 302
    run_jobs()
    refreshed(db_session, dispatch)
    assert dispatch.state == "sent"
    for forbidden in (
        "/outbox/add",
        f"/outbox/edit/{dispatch.id}",
        f"/outbox/delete/{dispatch.id}",
    ):
        assert client.get(forbidden).status_code == 404


def test_the_outbox_is_closed_to_those_without_it(client, db_session, users):
    login(client, "sales")
    assert client.get("/outbox/list/").status_code in (302, 403)


def test_the_demo_sends_in_process_without_redis(app, db_session, invoice, users, mail):
    """Without REDIS_URL (the embedded demo) the job runs in the in-process pool."""
    import time

    saved, app.config["REDIS_URL"] = app.config["REDIS_URL"], None
    try:
        dispatch = sending.request_send(invoice, users["accounting"])
        deadline = time.monotonic() + 20
        while dispatch.state in ("queued", "sending") and time.monotonic() < deadline:
            time.sleep(0.1)
            db_session.commit()  # end the snapshot: see what the pool's thread committed
            refreshed(db_session, dispatch)
    finally:
        app.config["REDIS_URL"] = saved
    refreshed(db_session, invoice)
    assert dispatch.state == "sent" and invoice.state == "sent" and len(mail.messages()) == 1


def stuck(db_session, monkeypatch, dispatch, minutes_ago):
    """Force ``dispatch`` into "sending" as a worker that died ``minutes_ago`` leaves it:
    attempt 1 begun back then, never finished."""
    import datetime as dt

    dispatch.state = "sending"
    dispatch.sending_started_at = utcnow() - dt.timedelta(minutes=minutes_ago)
    dispatch.attempts = 1
    db_session.commit()
    return dispatch


def test_a_stale_sending_is_unknown_and_sent_again_only_when_confirmed(
    app, db_session, invoice, users, mail, run_jobs, monkeypatch
):
    dispatch = stuck(
        db_session, monkeypatch, sending.request_send(invoice, users["accounting"]), 30
    )
    run_jobs()  # the job queued for it finds it "sending": nothing is sent again on its own
    refreshed(db_session, dispatch, invoice)
    assert dispatch.state == "sending" and mail.messages() == []
    assert sending.shown_state(dispatch) == "unknown"

    client = app.test_client()
    login(client, "accounting")
    url = f"/invoices/show/{invoice.id}?_l_=en"
    html = client.get(url).get_data(as_text=True)
    assert "Unknown — may have been sent" in html
    assert f'id="btn-resend-unknown-{dispatch.id}"' in html and 'name="confirm"' in html
    outbox = client.get("/outbox/list/?_l_=en").get_data(as_text=True)
    assert "Unknown — may have been sent" in outbox
    assert 'id="outbox-resend-unknown"' in client.get(f"/outbox/show/{dispatch.id}").get_data(
        as_text=True
    )
    readonly = app.test_client()
    login(readonly, "readonly")  # sees the state, is offered no button
    html = readonly.get(url).get_data(as_text=True)
    assert "Unknown — may have been sent" in html and "btn-resend-unknown" not in html

    # Refused: without the send right, and without the confirmation (screen and service).
    with pytest.raises(Forbidden):
        sending.resend_unknown(dispatch, users["sales"], confirmed=True)
    with force_locale("en"), pytest.raises(InvalidInput, match="twice"):
        sending.resend_unknown(dispatch, users["accounting"], confirmed=False)
    resend = f"/invoices/resend_unknown/{dispatch.id}"
    token = csrf_token(client, url)
    assert client.post(resend, data={"csrf_token": token}).status_code == 302
    refreshed(db_session, dispatch)
    assert dispatch.state == "sending" and mail.messages() == []

    # Confirmed: queued again, and a real worker sends it to the server.
    client.post(resend, data={"csrf_token": token, "confirm": "yes"})
    refreshed(db_session, dispatch)
    assert dispatch.state == "queued"
    run_jobs()
    refreshed(db_session, dispatch, invoice)
    assert (dispatch.state, dispatch.attempts) == ("sent", 2)
    assert invoice.state == "sent"
    [received] = mail.messages()
    assert received.rcpt_tos == (TO,) and received.parsed["Message-ID"] == dispatch.message_id
    trail = (
        db_session.query(AuditEntry)
        .filter_by(document_id=invoice.id, action="send")
        .order_by(AuditEntry.id)
        .all()
    )
    requeued = [e for e in trail if e.field == "state" and e.old_value == "sending"]
    assert [(e.new_value, e.username) for e in requeued] == [
        ("queued", "accounting"),
        ("sent", "accounting"),
    ]
    # and a note saying which email was sent again although its first attempt is unknown
    # (in the language of the person who did it).
    [note] = [e for e in trail if e.note and f"#{dispatch.id}" in e.note]
    assert note.username == "accounting" and TO in note.note


def test_a_fresh_sending_cannot_be_sent_again(
    app, db_session, sample, entity, users, mail, run_jobs, monkeypatch
):
    quote = approved("quote", sample, users)
    dispatch = stuck(db_session, monkeypatch, sending.request_send(quote, users["accounting"]), 1)
    assert sending.shown_state(dispatch) == "sending"
    with pytest.raises(InvalidInput, match="more than 15 minutes"):
        sending.resend_unknown(dispatch, users["accounting"], confirmed=True)
    client = app.test_client()
    login(client, "accounting")
    url = f"/quotes/show/{quote.id}?_l_=en"
    html = client.get(url).get_data(as_text=True)
    assert "Unknown — may have been sent" not in html and "btn-resend-unknown" not in html
    client.post(
        f"/quotes/resend_unknown/{dispatch.id}",
        data={"csrf_token": csrf_token(client, url), "confirm": "yes"},
    )
    refreshed(db_session, dispatch)
    assert dispatch.state == "sending"
    with force_locale("en"):  # the requests left their language on the app context
        # A new send of the same document is refused while it may still be on its way.
        with pytest.raises(InvalidInput, match="on its way"):
            sending.request_send(quote, users["accounting"])
        # The limit is a setting: with 0 minutes the same email is unknown at once.
        app.config["EMAIL_SENDING_STALE_MINUTES"] = 0
        try:
            assert sending.shown_state(dispatch) == "unknown"
            with pytest.raises(InvalidInput, match="Send again anyway"):
                sending.request_send(quote, users["accounting"])
        finally:
            app.config["EMAIL_SENDING_STALE_MINUTES"] = 15
    run_jobs()
    assert mail.messages() == []
