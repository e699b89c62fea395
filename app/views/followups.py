"""Documents → Follow-ups: per customer, the reminders sent, notes of calls and replies,
promised payment dates, and pauses (of the customer or one invoice)."""

from __future__ import annotations

import datetime as dt

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func

from app.extensions import db
from app.models.crm import Company
from app.models.documents import Document
from app.models.reminders import FollowUpNote, Reminder, ReminderPause
from app.security.permissions import REMINDER_VERBS
from app.security.rights import user_may
from app.services.documents import payments
from app.services.documents.lifecycle import OPEN_STATES
from app.services.errors import InvalidInput
from app.services.reminders import followups
from app.services.reminders.schedule import today_in_tokyo
from app.views.money import Money, local_time
from app.views.refusals import back_to
from app.views.reminders import REMINDER_STATE_LABELS, invoice_url


def parse_day(value: str | None, field: str) -> dt.date | None:
    """A YYYY-MM-DD date from a form or body (None when empty)."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(_("Give the date as YYYY-MM-DD."), field=field) from None


def company_or_404(pk: int) -> Company:
    """The company ``pk``, or 404."""
    company = db.session.get(Company, pk)
    if company is None:
        abort(404)
    return company


def invoice_of(company: Company, value) -> Document | None:
    """The invoice named by ``value`` (an id), which must be ``company``'s."""
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not str(value).isdigit() or len(str(value)) > 18:
        raise InvalidInput(_("Choose one of this customer's invoices."), field="document_id")
    document = db.session.get(Document, int(value))
    if document is None or document.company_id != company.id or document.kind != "invoice":
        raise InvalidInput(_("Choose one of this customer's invoices."), field="document_id")
    return document


class FollowUpView(BaseView):
    """The follow-up list and each customer's page."""

    route_base = "/followups"
    class_permission_name = "Reminder"
    method_permission_name = REMINDER_VERBS
    base_permissions = ["can_read", "can_pause", "can_note"]
    default_view = "followups"

    @expose("/")
    @has_access
    def followups(self):
        """Customers with open invoices, reminders or notes: where each one stands."""
        sent = dict(
            db.session.query(Reminder.company_id, func.count(Reminder.id))
            .filter(Reminder.state == "sent")
            .group_by(Reminder.company_id)
        )
        last_note = dict(
            db.session.query(FollowUpNote.company_id, func.max(FollowUpNote.created_at)).group_by(
                FollowUpNote.company_id
            )
        )
        open_ids = {
            row[0]
            for row in db.session.query(Document.company_id)
            .filter(Document.kind == "invoice", Document.state.in_(OPEN_STATES))
            .distinct()
        }
        ids = open_ids | set(sent) | set(last_note)
        companies = (
            db.session.query(Company).filter(Company.id.in_(ids)).order_by(Company.name).all()
            if ids
            else []
        )
        held = followups.holds(today_in_tokyo())
        rows = [
            {
                "company": c,
                "url": url_for(".followup", pk=c.id),
                "sent": sent.get(c.id, 0),
                "last_note": local_time(last_note[c.id]) if c.id in last_note else "",
                "paused": c.id in held.companies,
                # the customer's promise, or the earliest one made for one of its invoices
                "promised": min(
                    (day for (cid, _doc), day in held.promises.items() if cid == c.id),
                    default=None,
                ),
                "open": c.id in open_ids,
            }
            for c in companies
        ]
        return self.render_template("renkei/followups.html", title=_l("Follow-ups"), rows=rows)

    @expose("/<int:pk>")
    @has_access
    def followup(self, pk):
        """One customer: open invoices, pauses, promises, and the history of reminders and notes."""
        company = company_or_404(pk)
        today = today_in_tokyo()
        invoices = (
            db.session.query(Document)
            .filter(
                Document.company_id == company.id,
                Document.kind == "invoice",
                Document.state.in_(OPEN_STATES),
            )
            .order_by(Document.due_date)
            .all()
        )
        balances = payments.balances(db.session, invoices)
        paused_docs = {
            d
            for (d,) in db.session.query(ReminderPause.document_id).filter(
                ReminderPause.document_id.in_([i.id for i in invoices] or [-1])
            )
        }
        held = followups.holds(today)
        return self.render_template(
            "renkei/followup_company.html",
            title=_l("Follow-up"),
            company=company,
            invoices=[
                {
                    "document": i,
                    "url": invoice_url(i),
                    "balance": Money(balances.get(i.id, i.total), i.currency),
                    "paused": i.id in paused_docs,
                    "days": (today - i.due_date).days if i.due_date else None,
                }
                for i in invoices
            ],
            paused=company.id in held.companies,
            promised=held.promises.get((company.id, None)),
            entries=followups.history(company),
            kinds=followups.NOTE_KIND_LABELS,
            written_kinds=followups.WRITTEN_KINDS,
            states=REMINDER_STATE_LABELS,
            local_time=local_time,
            may_note=user_may(g.user, *followups.NOTE_RIGHT),
            may_pause=user_may(g.user, *followups.PAUSE_RIGHT),
            today=today.isoformat(),
        )

    @expose("/<int:pk>/note", methods=["POST"])
    @has_access
    def note(self, pk):
        """Add a note of a call or reply, or a promise to pay by a date."""
        company = company_or_404(pk)
        back_to(url_for(".followup", pk=pk))
        followups.add_note(
            company,
            g.user,
            request.form.get("kind", "note"),
            request.form.get("note", ""),
            document=invoice_of(company, request.form.get("document_id")),
            promised_on=parse_day(request.form.get("promised_on"), "promised_on"),
        )
        flash(_("The note was added."), "success")
        return redirect(url_for(".followup", pk=pk))

    @expose("/<int:pk>/pause", methods=["POST"])
    @has_access
    def pause(self, pk):
        """Pause the customer's reminders (or one invoice's, with ``document_id``)."""
        company = company_or_404(pk)
        back_to(url_for(".followup", pk=pk))
        document = invoice_of(company, request.form.get("document_id"))
        followups.pause(company, g.user, document=document, reason=request.form.get("reason"))
        flash(_("Reminders paused."), "success")
        return redirect(url_for(".followup", pk=pk))

    @expose("/<int:pk>/resume", methods=["POST"])
    @has_access
    def resume(self, pk):
        """Resume the customer's reminders (or one invoice's)."""
        company = company_or_404(pk)
        back_to(url_for(".followup", pk=pk))
        document = invoice_of(company, request.form.get("document_id"))
        followups.resume(company, g.user, document=document)
        flash(_("Reminders resumed."), "success")
        return redirect(url_for(".followup", pk=pk))
