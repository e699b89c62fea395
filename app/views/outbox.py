"""Documents → Sent emails: every document email, how it went, the message as sent.

Read-only: no add, edit or delete. A failed email can be retried from the list or its
page; the route only needs to read the outbox, and the service then checks the send
right on each email's document kind (can_send_email on Invoice, Quote …).
"""

from __future__ import annotations

from flask import Response, abort, flash, g, redirect, url_for
from flask_appbuilder import ModelView, action, expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.models.publishing import EmailDispatch
from app.security.permissions import READ_ONLY_VERBS
from app.services.documents.sending import eml_bytes, retry_send
from app.services.errors import RenkeiError
from app.views.datamodel import datamodel

DISPATCH_STATE_LABELS = {
    "queued": _l("Queued"),
    "sending": _l("Sending"),
    "sent": _l("Sent"),
    "failed": _l("Failed"),
}


class OutboxView(ModelView):
    """The outbox: what was emailed to whom, its state, and the server's answer."""

    route_base = "/outbox"
    class_permission_name = "Outbox"
    # FAB actions post to action_post and carry their own name: both are reads here,
    # because retry_send checks the real right (send) per document.
    method_permission_name = {**READ_ONLY_VERBS, "action_post": "read", "retry": "read"}
    include_route_methods = {"list", "show", "eml", "action", "action_post"}
    base_permissions = ["can_read"]
    datamodel = datamodel(EmailDispatch)
    list_title = _l("Sent emails")
    show_title = _l("Sent email")
    show_template = "renkei/outbox_show.html"
    label_columns = {
        "created_at": _l("Time"),
        "document": _l("Document"),
        "recipient": _l("Recipient"),
        "subject": _l("Subject"),
        "body": _l("Message"),
        "state": _l("State"),
        "error": _l("Error"),
        "attempts": _l("Attempts"),
        "message_id": _l("Message-ID"),
        "sent_at": _l("Sent at"),
        "requested_by": _l("Requested by"),
        "template": _l("Email template"),
        "pdf": _l("PDF"),
    }
    list_columns = ["created_at", "document", "recipient", "subject", "state", "error"]
    show_columns = [
        "created_at",
        "document",
        "recipient",
        "subject",
        "body",
        "state",
        "error",
        "attempts",
        "sent_at",
        "message_id",
        "requested_by",
        "template",
        "pdf",
    ]
    search_columns = ["state", "recipient", "subject", "document", "created_at"]
    order_columns = ["created_at", "recipient", "state"]
    base_order = ("id", "desc")
    formatters_columns = {"state": lambda state: DISPATCH_STATE_LABELS.get(state, state)}

    @expose("/eml/<int:pk>")
    @has_access
    def eml(self, pk):
        """The email as it was sent (headers, text and PDF), as an .eml file."""
        dispatch = self.datamodel.get(pk)
        if dispatch is None:
            abort(404)
        number = "".join(c for c in str(dispatch.document) if c.isalnum() or c in "-_")
        return Response(
            eml_bytes(dispatch),
            mimetype="message/rfc822",
            headers={"Content-Disposition": f"attachment; filename={number}-{pk}.eml"},
        )

    @action(
        "retry",
        _l("Retry"),
        _l("Send the selected failed emails again?"),
        "fa-redo",
        multiple=True,
        single=True,
    )
    def retry(self, items):
        """Queue failed emails again; each is refused on its own if it may not be."""
        items = items if isinstance(items, list) else [items]
        session = self.datamodel.session
        queued = 0
        for dispatch in items:
            try:
                retry_send(dispatch, g.user)
                queued += 1
            except RenkeiError as exc:
                session.rollback()
                flash(f"{dispatch.document} → {dispatch.recipient}: {exc}", "danger")
        if queued:
            flash(_("%(n)d email(s) queued again.", n=queued), "info")
        if len(items) == 1:
            return redirect(url_for(".show", pk=items[0].id))
        return redirect(url_for(".list"))
