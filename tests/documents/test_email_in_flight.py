"""A document whose email is on its way (queued or sending) cannot be reopened or voided:
the email reaches the customer whatever we do, so the document must end up "sent"."""

from __future__ import annotations

import pytest
from flask_babel import force_locale

from app.models.crm import utcnow
from app.services.documents import actions, sending
from app.services.errors import InvalidInput
from tests.documents.test_sending import approved


@pytest.fixture(autouse=True)
def english(db_session):
    with force_locale("en"):
        yield


@pytest.mark.parametrize("in_flight", ["queued", "sending"])
@pytest.mark.parametrize("action", ["reopen", "void"])
def test_an_email_on_its_way_keeps_the_document_approved(
    db_session, sample, entity, users, mail, redis_conn, in_flight, action
):
    invoice = approved("invoice", sample, users)
    dispatch = sending.request_send(invoice, users["accounting"])
    if in_flight == "sending":  # the worker took it and is talking to the mail server
        dispatch.state, dispatch.sending_started_at = "sending", utcnow()
        db_session.commit()
    with pytest.raises(InvalidInput, match="on its way"):
        actions.perform(invoice, action, users["admin"], "理由")
    db_session.refresh(invoice)
    assert invoice.state == "approved"


def test_once_the_email_failed_the_document_can_be_reopened(
    db_session, sample, entity, users, mail, redis_conn
):
    invoice = approved("invoice", sample, users)
    dispatch = sending.request_send(invoice, users["accounting"])
    dispatch.state, dispatch.error = "failed", "550 no such user"
    db_session.commit()
    actions.perform(invoice, "reopen", users["admin"])
    db_session.refresh(invoice)
    assert invoice.state == "draft"
