"""The outbox shows each person only the emails of document kinds they may read: a profile
with the outbox and quotes (and, to make the point, a send right on invoices) never sees,
downloads or retries an invoice's email — it is not listed, and its page and .eml are 404."""

from __future__ import annotations

import pytest

from app.models.publishing import EmailDispatch
from app.services.documents import sending
from tests.conftest import csrf_token, login
from tests.documents import test_sending as sending_tests

# English messages, as in test_sending (the sink, mail and run_jobs fixtures are shared).
english = sending_tests.english
approved = sending_tests.approved

GRANTS = [
    ("can_read", "Outbox"),
    ("can_read", "Quote"),
    ("can_send_email", "Quote"),
    # Sending without reading: still no way into an invoice's emails.
    ("can_send_email", "Invoice"),
]


@pytest.fixture()
def quotes_only(app, db_session):
    """A signed-in person whose profile holds GRANTS and nothing else."""
    sm = app.appbuilder.sm
    role = sm.find_role("QuoteMail") or sm.add_role("QuoteMail")
    for permission, resource in GRANTS:
        sm.add_permission_role(role, sm.find_permission_view_menu(permission, resource))
    person = sm.find_user(username="quotemail") or sm.add_user(
        "quotemail", "Quote", "Mail", "quotemail@example.com", role, password="quotemail"
    )
    client = app.test_client()
    login(client, "quotemail")
    yield client
    db_session.delete(db_session.merge(person))
    db_session.commit()


def failed(document, users, mail, run_jobs, db_session):
    """An email of ``document`` that the server refused for now (a failed dispatch)."""
    mail.fail_next("tempfail")
    dispatch = sending.request_send(document, users["accounting"])
    run_jobs()
    db_session.refresh(dispatch)
    assert dispatch.state == "failed"
    return dispatch


def test_emails_of_unreadable_kinds_are_closed(
    db_session, sample, entity, users, mail, run_jobs, quotes_only
):
    quote = approved("quote", sample, users)
    invoice = approved("invoice", sample, users)
    of_quote = failed(quote, users, mail, run_jobs, db_session)
    of_invoice = failed(invoice, users, mail, run_jobs, db_session)
    client = quotes_only

    listed = client.get("/outbox/list/").get_data(as_text=True)
    assert quote.number in listed and invoice.number not in listed
    assert client.get(f"/outbox/show/{of_quote.id}").status_code == 200
    assert client.get(f"/outbox/eml/{of_quote.id}").status_code == 200
    assert client.get(f"/outbox/show/{of_invoice.id}").status_code == 404
    assert client.get(f"/outbox/eml/{of_invoice.id}").status_code == 404
    # Not even by filtering on the invoice, nor in the search form's document choices.
    filtered = client.get(f"/outbox/list/?_flt_0_document={invoice.id}").get_data(as_text=True)
    assert invoice.number not in filtered

    # Retrying both: the quote's is queued and sent; the invoice's is left alone, unnamed.
    response = client.post(
        "/outbox/action_post",
        data={
            "action": "retry",
            "rowid": [str(of_quote.id), str(of_invoice.id)],
            "csrf_token": csrf_token(client, "/outbox/list/"),
        },
        follow_redirects=True,
    )
    assert invoice.number not in response.get_data(as_text=True)
    assert (
        client.post(
            f"/outbox/resend_unknown/{of_invoice.id}",
            data={"csrf_token": csrf_token(client, "/outbox/list/"), "confirm": "yes"},
        ).status_code
        == 404
    )
    run_jobs()
    db_session.expire_all()
    assert db_session.get(EmailDispatch, of_quote.id).state == "sent"
    assert db_session.get(EmailDispatch, of_invoice.id).state == "failed"
    assert [m.subject for m in mail.messages()] == [of_quote.subject]


def test_accounting_still_sees_every_kind(app, db_session, sample, entity, users, mail, run_jobs):
    quote = approved("quote", sample, users)
    invoice = approved("invoice", sample, users)
    of_invoice = failed(invoice, users, mail, run_jobs, db_session)
    failed(quote, users, mail, run_jobs, db_session)
    client = app.test_client()
    login(client, "accounting")
    listed = client.get("/outbox/list/").get_data(as_text=True)
    assert quote.number in listed and invoice.number in listed
    assert client.get(f"/outbox/eml/{of_invoice.id}").status_code == 200
