"""Integrations → Mismatches: the mismatch report per connection, with a Pull, Push, Link
and Ignore button on each row (app/services/sync/mismatches.py does the work).

Reading the page needs ``can_read`` on "Mismatch"; each button ``can_act`` (and the
action's own further right, checked by the service, which refuses in words).
"""

from __future__ import annotations

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models.connection import Connection
from app.models.documents import Document
from app.models.sync import ExternalDocument, Mismatch
from app.security.permissions import MISMATCH_VERBS
from app.services.sync import mismatch_words as words
from app.views.money import Money, local_time
from app.views.refusals import back_to

SHOWN = 200
FILTERS = {
    "open": _l("Open"),
    "ignored": _l("Ignored"),
    "resolved": _l("Resolved"),
}
CHOICES_SHOWN = 100


def _service():
    from app.services.sync import mismatches

    return mismatches


def _document_url(document: Document | None) -> str | None:
    if document is None:
        return None
    from app.views.document_page import document_url

    return document_url(document)


def link_choices(mismatch: Mismatch) -> list[dict]:
    """Renkei invoices an unknown provider document may be linked to: the same customer's
    (the customer of the document its reference names) without a link at the connection."""
    linked = db.session.query(ExternalDocument.document_id).filter(
        ExternalDocument.connection_id == mismatch.connection_id,
        ExternalDocument.document_id.isnot(None),
        ExternalDocument.deleted_at_provider.is_(False),
    )
    query = db.session.query(Document).filter(
        Document.kind == "invoice", Document.state != "void", Document.id.notin_(linked)
    )
    if mismatch.document is not None:
        query = query.filter(Document.company_id == mismatch.document.company_id)
    rows = query.order_by(Document.id.desc()).limit(CHOICES_SHOWN).all()
    return [
        {
            "id": d.id,
            "label": f"{d.number} — {d.company.name if d.company else ''} — "
            f"{Money(d.total, d.currency)}",
            "selected": d.id == mismatch.document_id,
        }
        for d in rows
    ]


def _row(mismatch: Mismatch) -> dict:
    document = mismatch.document or (mismatch.link.document if mismatch.link else None)
    ours, theirs = words.values(mismatch)
    state = "resolved" if mismatch.resolved_at else "ignored" if mismatch.ignored_at else "open"
    return {
        "id": mismatch.id,
        "kind": mismatch.kind,
        "kind_label": words.kind_label(mismatch.kind),
        "connection": mismatch.connection.name,
        "number": document.number if document is not None else (mismatch.number or ""),
        "provider_number": mismatch.number or mismatch.external_id,
        "url": _document_url(document),
        "renkei": ours,
        "provider": theirs,
        "found_at": local_time(mismatch.found_at),
        "state": state,
        "ignored": {
            "by": mismatch.ignored_by.username if mismatch.ignored_by else "",
            "at": local_time(mismatch.ignored_at),
            "reason": mismatch.ignored_reason or "",
        }
        if mismatch.ignored_at
        else None,
        "resolved_at": local_time(mismatch.resolved_at) if mismatch.resolved_at else "",
        "choices": link_choices(mismatch) if state == "open" and mismatch.kind == "unknown" else [],
    }


class MismatchView(BaseView):
    """The mismatch report: open rows first, filtered by connection."""

    route_base = "/mismatches"
    class_permission_name = "Mismatch"
    method_permission_name = MISMATCH_VERBS
    base_permissions = ["can_read", "can_act"]
    default_view = "list"

    def _mismatch(self, pk: int) -> Mismatch:
        mismatch = db.session.get(Mismatch, pk)
        if mismatch is None:
            abort(404)
        return mismatch

    def _back(self, mismatch: Mismatch | None = None) -> str:
        connection = request.form.get("connection") or request.args.get("connection")
        values = {"connection": connection} if connection and connection.isdigit() else {}
        return back_to(url_for(".list", **values))

    @expose("/list/")
    @has_access
    def list(self):
        """The report of one connection (or all), open rows unless asked otherwise."""
        connections = db.session.query(Connection).order_by(Connection.id).all()
        chosen = request.args.get("connection", type=int)
        show = request.args.get("show", "open")
        show = show if show in FILTERS else "open"
        query = db.session.query(Mismatch)
        if chosen:
            query = query.filter(Mismatch.connection_id == chosen)
        if show == "resolved":
            query = query.filter(Mismatch.resolved_at.isnot(None))
        else:
            query = query.filter(Mismatch.resolved_at.is_(None))
            ignored = Mismatch.ignored_at.isnot(None)
            query = query.filter(ignored if show == "ignored" else ~ignored)
        rows = query.order_by(Mismatch.found_at.desc(), Mismatch.id.desc()).limit(SHOWN).all()
        may_act = self.appbuilder.sm.has_access("can_act", "Mismatch")
        return self.render_template(
            "renkei/mismatches.html",
            title=_l("Mismatches"),
            rows=[_row(m) for m in rows],
            connections=connections,
            chosen=chosen,
            show=show,
            filters=FILTERS,
            may_act=may_act,
            counts={c.id: _service().open_count(c.id) for c in connections},
        )

    @expose("/pull/<int:pk>", methods=["POST"])
    @has_access
    def pull(self, pk):
        """Read the provider's document again and check the difference again."""
        mismatch = self._mismatch(pk)
        here = self._back(mismatch)
        done = _service().pull(mismatch, g.user)
        if done.resolved_at is not None:
            flash(_("Read again: the difference is gone."), "success")
        else:
            flash(_("Read again: the difference is still there."), "warning")
        return redirect(here)

    @expose("/push/<int:pk>", methods=["POST"])
    @has_access
    def push(self, pk):
        """Make the provider agree where Renkei can (issue again, set paid)."""
        mismatch = self._mismatch(pk)
        here = self._back(mismatch)
        _service().push(mismatch, g.user)
        flash(_("Sent to %(name)s…", name=mismatch.connection.name), "info")
        return redirect(here)

    @expose("/link/<int:pk>", methods=["POST"])
    @has_access
    def link(self, pk):
        """Link an unknown provider document to the chosen Renkei document."""
        mismatch = self._mismatch(pk)
        here = self._back(mismatch)
        document_id = request.form.get("document_id", type=int)
        document = db.session.get(Document, document_id) if document_id else None
        if document is None:
            flash(_("Choose the Renkei document to link."), "danger")
            return redirect(here)
        _service().link(mismatch, document, g.user)
        flash(_("Linked to %(number)s.", number=document.number), "success")
        return redirect(here)

    @expose("/ignore/<int:pk>", methods=["POST"])
    @has_access
    def ignore(self, pk):
        """Ignore the mismatch, with a reason."""
        mismatch = self._mismatch(pk)
        here = self._back(mismatch)
        _service().ignore(mismatch, g.user, request.form.get("reason"))
        flash(_("The mismatch is ignored."), "success")
        return redirect(here)
