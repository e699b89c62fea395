"""The document screens' own routes: the page, one ``act`` route for every lifecycle
action, payments, PDF (one, or a zip from the list), email and "new from deal".

Each route maps to a verb in permissions.DOCUMENT_VERBS; the state-changing ones are
on "read" and check the action's own right in app.services.documents.actions, so an
approver (who only reads invoices) can approve and a reader gets a refusal that says why.
"""

from __future__ import annotations

import datetime as dt

from flask import Response, abort, current_app, flash, g, jsonify, redirect, request, url_for
from flask_appbuilder import action, expose, has_access
from flask_appbuilder.security.decorators import has_access_api
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.models.crm import Deal
from app.models.publishing import EmailDispatch
from app.security.rights import user_may
from app.services.documents import actions, issuing, lifecycle, payments
from app.services.errors import Forbidden, InvalidInput
from app.views.document_page import document_page, document_url, email_status
from app.views.refusals import back_to, safe_next


def _pdf_service():
    # Written alongside these screens; imported when a button is pressed.
    from app.services.documents import pdf

    return pdf


def _bundles():
    from app.services.documents import pdf_bundles

    return pdf_bundles


def _sending_service():
    from app.services.documents import sending

    return sending


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        raise InvalidInput(_("The payment date is not a date."), field="paid_on") from None


# What an action did, as a sentence (not "Submit: done."); %(state)s is the state now.
ACTION_DONE = {
    "submit": _l("%(number)s was submitted; it is now “%(state)s”."),
    "approve": _l("%(number)s was approved."),
    "reject": _l("%(number)s was sent back as a draft with your reason."),
    "reopen": _l("%(number)s is a draft again and can be edited."),
    "void": _l("%(number)s was voided."),
    "dispute": _l("%(number)s is marked as disputed."),
    "resolve": _l("The dispute on %(number)s is resolved; it is now “%(state)s”."),
    "write_off": _l("%(number)s was written off."),
    "convert": _l("Invoice %(number)s was made from this quote."),
    "credit": _l("Credit note %(number)s was made for this invoice."),
}


class DocumentRoutes:
    """Routes of a document list view (``kind`` and ``datamodel`` come from the view)."""

    def _document(self, pk):
        document = self.datamodel.get(pk, self._base_filters)
        if document is None:
            abort(404)
        return document

    @expose("/show/<pk>")
    @has_access
    def show(self, pk):
        """The document page: header, lines, totals, payments, approvals, trail."""
        pk = self._deserialize_pk_if_composite(pk)
        widgets = self._show(pk)
        document = self._document(pk)
        page = document_page(document, g.user)
        # The lines offer "+", edit and delete only while the reader may still change them.
        for lines in widgets.get("related_views") or []:
            if lines is not None:
                lines.template_args["editable"] = page["may_edit"]
        return self.render_template(
            self.show_template,
            pk=pk,
            title=self.show_title,
            widgets=widgets,
            related_views=self._related_views,
            page=page,
        )

    @expose("/act/<int:pk>", methods=["POST"])
    @has_access
    def act(self, pk):
        """Run one lifecycle action (submit, approve, reject with a reason, void …)."""
        document = self._document(pk)
        name = request.form.get("action", "")
        here = back_to(safe_next(url_for(".show", pk=pk)))
        result = actions.perform(document, name, g.user, request.form.get("comment"))
        if name in ("convert", "credit"):
            flash(str(ACTION_DONE[name]) % {"number": result.number}, "success")
            return redirect(document_url(result))
        state = lifecycle.STATE_LABELS.get(document.state, document.state)
        flash(str(ACTION_DONE[name]) % {"number": document.number, "state": state}, "success")
        return redirect(here)

    @expose("/payment/<int:pk>", methods=["POST"])
    @has_access
    def payment(self, pk):
        """Record a payment (full or partial) against an invoice."""
        document = self._document(pk)
        here = back_to(url_for(".show", pk=pk))
        if not actions.may(g.user, document, "record_payment"):
            raise Forbidden(_("You may not record payments."))
        payments.record_payment(
            document,
            request.form.get("amount", ""),
            _date(request.form.get("paid_on")),
            user=g.user,
            method=request.form.get("method") or "bank_transfer",
            reference=request.form.get("reference") or None,
        )
        flash(_("The payment was recorded."), "success")
        return redirect(here)

    @expose("/pdf/<int:pk>")
    @has_access
    def pdf(self, pk):
        """Download the document as PDF (made from the approved template)."""
        document = self._document(pk)
        back_to(url_for(".show", pk=pk))
        made = _pdf_service().render_document(document, g.user)
        self.datamodel.session.commit()
        return Response(
            made.content,
            mimetype="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="{document.number}.pdf"'},
        )

    @action(
        "pdf_zip",
        _l("Download PDFs (zip)"),
        None,
        "fa-file-archive",
        multiple=True,
        single=False,
    )
    def pdf_zip(self, items):
        """The selected documents' PDFs in one zip file (many: made by a job)."""
        items = items if isinstance(items, list) else [items]
        # action_post loads the ids without the list's filter: keep this view's kind only.
        items = [i for i in items if i is not None and i.kind == self.kind]
        back_to(url_for(".list"))
        if len(items) > current_app.config.get("PDF_ZIP_INLINE_MAX", 20):
            return self._start_bundle([i.id for i in items])
        content = _pdf_service().zip_pdfs(items, g.user)
        self.datamodel.session.commit()
        name = f"{self.kind}-{dt.date.today().isoformat()}.zip"
        return Response(
            content,
            mimetype="application/zip",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    def _start_bundle(self, ids):
        bundle = _bundles().start_bundle(self.kind, ids, g.user)
        flash(
            _("Making a zip of %(n)s PDFs; it is ready to download below.", n=bundle.total),
            "info",
        )
        return redirect(url_for(".pdf_bundle_show", bundle_id=bundle.id))

    @expose("/pdf_bundle", methods=["POST"])
    @has_access
    def pdf_bundle(self):
        """Every document of the list as filtered (the query string): a zip made by jobs."""
        from app.views.csv_export import CsvRequestError

        back_to(url_for(".list"))
        try:
            ids = [d.id for d in self.csv_query().yield_per(500)]
        except CsvRequestError as exc:  # an unknown sort column: words, not a 500
            raise InvalidInput(str(exc)) from None
        return self._start_bundle(ids)

    @expose("/pdf_bundle/<int:bundle_id>")
    @has_access
    def pdf_bundle_show(self, bundle_id):
        """A zip's progress (the page reloads itself until it is done) and its link;
        ``?format=json`` for a script."""
        bundle = _bundles().bundle_for(bundle_id, self.kind, g.user)
        state = _bundles().progress(bundle)
        if request.args.get("format") == "json":
            return state
        return self.render_template(
            "renkei/pdf_bundle.html", bundle=bundle, state=state, title=_("Zip of PDFs")
        )

    @expose("/pdf_bundle/<int:bundle_id>/download")
    @has_access
    def pdf_bundle_download(self, bundle_id):
        """The finished zip, for the person who asked for it."""
        bundle = _bundles().bundle_for(bundle_id, self.kind, g.user)
        if bundle.state != "done":
            abort(404)
        return Response(
            bundle.content,
            mimetype="application/zip",
            headers={"Content-Disposition": f'attachment; filename="{bundle.filename}"'},
        )

    @expose("/send/<int:pk>", methods=["POST"])
    @has_access
    def send(self, pk):
        """Email the PDF with what the preview shows, as edited (queued). A script asking
        for JSON gets the email's status URL, polled until the job is done; a form post
        lands back on the page, whose poller does the same."""
        document = self._document(pk)
        here = back_to(url_for(".show", pk=pk))
        form = request.form
        edited = {name: form.get(name) for name in ("cc", "subject", "body", "attachment_name")}
        wants_json = request.accept_mimetypes.best == "application/json"
        try:
            dispatch = _sending_service().request_send(
                document, g.user, form.get("recipient") or None, **edited
            )
        except InvalidInput as refused:
            if not wants_json:
                raise
            self.datamodel.session.rollback()
            return jsonify({"errors": {refused.field or "form": str(refused)}}), 422
        if wants_json:
            return jsonify(
                {"id": dispatch.id, "status_url": url_for(".email_status", pk=dispatch.id)}
            )
        flash(_("Sending to %(to)s…", to=dispatch.recipient), "info")
        return redirect(here)

    @expose("/email_status/<int:pk>")
    @has_access_api
    def email_status(self, pk):
        """An email's state and its document's, polled by renkei-send.js (``pk``: the email)."""
        dispatch = self.datamodel.session.get(EmailDispatch, pk)
        if dispatch is None or dispatch.document.kind != self.kind:
            return jsonify({"error": _("No such email.")}), 404
        return jsonify(email_status(dispatch))

    @expose("/retry_send/<int:pk>", methods=["POST"])
    @has_access
    def retry_send(self, pk):
        """Try a failed email again (``pk`` is the email's id)."""
        dispatch = self.datamodel.session.get(EmailDispatch, pk)
        if dispatch is None or dispatch.document.kind != self.kind:
            abort(404)
        here = back_to(url_for(".show", pk=dispatch.document_id))
        _sending_service().retry_send(dispatch, g.user)
        flash(_("Sending again…"), "info")
        return redirect(here)

    @expose("/resend_unknown/<int:pk>", methods=["POST"])
    @has_access
    def resend_unknown(self, pk):
        """Send again an email whose outcome is unknown, once confirmed (``pk``: the email)."""
        dispatch = self.datamodel.session.get(EmailDispatch, pk)
        if dispatch is None or dispatch.document.kind != self.kind:
            abort(404)
        here = back_to(url_for(".show", pk=dispatch.document_id))
        _sending_service().resend_unknown(
            dispatch, g.user, confirmed=request.form.get("confirm") == "yes"
        )
        flash(_("Sending again…"), "info")
        return redirect(here)

    @expose("/issue/<int:pk>", methods=["POST"])
    @has_access
    def issue(self, pk):
        """ "Issue at …": send an approved document to the chosen connections (the service
        checks the right to create documents at providers, and issues each once)."""
        from app.models.connection import Connection
        from app.services.sync import issuing as provider_issuing

        document = self._document(pk)
        here = back_to(url_for(".show", pk=pk))
        ids = []
        for value in request.form.getlist("connection_id"):
            try:
                ids.append(int(value))
            except ValueError:
                raise InvalidInput(_("Choose a connection."), field="connection_id") from None
        connections = [self.datamodel.session.get(Connection, i) for i in ids]
        if any(c is None for c in connections):
            raise InvalidInput(_("No such connection."), field="connection_id")
        issued = provider_issuing.issue(document, connections, g.user)
        names = ", ".join(i.link.connection.name for i in issued)
        flash(_("Issuing %(number)s at %(names)s…", number=document.number, names=names), "info")
        return redirect(here)

    @expose("/new_from_deal/<int:deal_id>", methods=["POST"])
    @has_access
    def new_from_deal(self, deal_id):
        """A draft of this kind from a deal's lines (needs write on the kind)."""
        deal = self.datamodel.session.get(Deal, deal_id)
        if deal is None:
            abort(404)
        back_to(url_for("DealView.show", pk=deal_id))
        if not user_may(g.user, "can_write", self.class_permission_name):
            raise Forbidden(_("You may not create this kind of document."))
        document = issuing.from_deal(deal, self.kind, user=g.user)
        flash(_("%(number)s was created from the deal.", number=document.number), "success")
        return redirect(url_for(".show", pk=document.id))
