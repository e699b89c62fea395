"""Documents → Sent emails: every document email, how it went, the message as sent.

Read-only: no add, edit or delete. Each person sees only the emails of document kinds
they may read (can_read on Quote, Invoice …): the list, the page, the .eml and the
actions are all limited by one base filter, so another kind's email is a 404.

A failed email can be retried from the list or its page; an email whose outcome is
unknown (stuck "sending") can be sent again from its page once confirmed. The routes
only need to read the outbox; the service then checks the send right on the email's
document kind (can_send_email on Invoice, Quote …).
"""

from __future__ import annotations

from flask import Response, abort, flash, g, redirect, request, url_for
from flask_appbuilder import ModelView, action, expose, has_access
from flask_appbuilder.models.filters import BaseFilter
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.models.documents import Document
from app.models.publishing import EmailDispatch
from app.security.permissions import READ_ONLY_VERBS
from app.services.documents import actions, sending
from app.services.documents.sending import DISPATCH_STATE_LABELS, eml_bytes, retry_send
from app.views.datamodel import datamodel
from app.views.refusals import back_to, flashed


def _readable_kinds() -> list[str]:
    """The kinds the signed-in person may read, asked once per request (kept on the
    request, not on ``g``: tests hold one app context across requests)."""
    key = "renkei.readable_kinds"
    if key not in request.environ:
        request.environ[key] = sending.readable_kinds(g.user)
    return request.environ[key]


class FilterReadableKinds(BaseFilter):
    """Emails of documents whose kind the signed-in person may read (the value is unused)."""

    name = _l("Readable")
    arg_name = "readable_kinds"

    def apply(self, query, value):
        return query.filter(EmailDispatch.document.has(Document.kind.in_(_readable_kinds())))


class FilterReadableDocumentKinds(BaseFilter):
    """Documents of the kinds the signed-in person may read (for the search form)."""

    name = _l("Readable")
    arg_name = "readable_document_kinds"

    def apply(self, query, value):
        return query.filter(Document.kind.in_(_readable_kinds()))


class OutboxView(ModelView):
    """The outbox: what was emailed to whom, its state, and the server's answer."""

    route_base = "/outbox"
    class_permission_name = "Outbox"
    # FAB actions post to action_post and carry their own name: both are reads here,
    # because retry_send and resend_unknown check the real right (send) per document.
    method_permission_name = {
        **READ_ONLY_VERBS,
        "action_post": "read",
        "retry": "read",
        "resend_unknown": "read",
    }
    include_route_methods = {"list", "show", "eml", "action", "action_post", "resend_unknown"}
    base_permissions = ["can_read"]
    datamodel = datamodel(EmailDispatch)
    base_filters = [["document", FilterReadableKinds, None]]
    # The document search box lists only documents of the kinds the person may read.
    search_form_query_rel_fields = {"document": [["kind", FilterReadableDocumentKinds, None]]}
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

    def _visible(self, pk) -> EmailDispatch:
        """The email ``pk`` if this person may see it (its kind), else 404."""
        dispatch = self.datamodel.get(pk, self._base_filters)
        if dispatch is None:
            abort(404)
        return dispatch

    def _get_list_widget(self, **kwargs):
        """A "sending" that went stale reads "Unknown — may have been sent"."""
        widgets = super()._get_list_widget(**kwargs)
        shown = widgets["list"].template_args
        shown["value_columns"] = rows = list(shown.get("value_columns") or [])  # FAB yields
        for pk, row in zip(shown.get("pks") or [], rows, strict=True):
            if row.get("state") == "sending":
                dispatch = self.datamodel.session.get(EmailDispatch, pk)
                row["state"] = sending.shown_state(dispatch)
        return widgets

    def _get_show_widget(self, pk, item, **kwargs):
        widgets = super()._get_show_widget(pk, item, **kwargs)
        values = widgets["show"].template_args["value_columns"]
        values[self.show_columns.index("state")] = sending.shown_state(item)
        return widgets

    @expose("/show/<pk>")
    @has_access
    def show(self, pk):
        """One email; an unknown outcome offers "Send again anyway" to those who may send."""
        pk = self._deserialize_pk_if_composite(pk)
        widgets = self._show(pk)
        dispatch = self._visible(pk)
        unknown = sending.is_unknown(dispatch)
        return self.render_template(
            self.show_template,
            pk=pk,
            title=self.show_title,
            widgets=widgets,
            related_views=self._related_views,
            unknown=unknown,
            may_resend=unknown and actions.may(g.user, dispatch.document, "send"),
        )

    @expose("/eml/<int:pk>")
    @has_access
    def eml(self, pk):
        """The email as it was sent (headers, text and PDF), as an .eml file."""
        dispatch = self._visible(pk)
        number = "".join(c for c in str(dispatch.document) if c.isalnum() or c in "-_")
        return Response(
            eml_bytes(dispatch),
            mimetype="message/rfc822",
            headers={"Content-Disposition": f"attachment; filename={number}-{pk}.eml"},
        )

    @expose("/resend_unknown/<int:pk>", methods=["POST"])
    @has_access
    def resend_unknown(self, pk):
        """Send again an email whose outcome is unknown, once confirmed."""
        dispatch = self._visible(pk)
        back_to(url_for(".show", pk=pk))
        sending.resend_unknown(dispatch, g.user, confirmed=request.form.get("confirm") == "yes")
        flash(_("Sending again…"), "info")
        return redirect(url_for(".show", pk=pk))

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
        # FAB loads the posted ids without the base filter: keep the kinds this person reads.
        kinds = set(_readable_kinds())
        items = [i for i in items if i is not None and i.document.kind in kinds]
        queued = 0
        for dispatch in items:
            with flashed(f"{dispatch.document} → {dispatch.recipient}: ") as refusal:
                retry_send(dispatch, g.user)
            queued += refusal.message is None
        if queued:
            flash(_("%(n)d email(s) queued again.", n=queued), "info")
        if len(items) == 1:
            return redirect(url_for(".show", pk=items[0].id))
        return redirect(url_for(".list"))
