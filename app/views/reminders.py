"""Documents → Reminders: what would go out today and why (a dry run, nothing sent),
and "Send now" for those who may send (it queues the same run the scheduler does)."""

from __future__ import annotations

from flask import current_app, flash, g, redirect, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models.document_kinds import KINDS
from app.models.reminders import Reminder
from app.security.permissions import REMINDER_VERBS
from app.security.rights import user_may
from app.services import launchers
from app.services.errors import Forbidden
from app.services.reminders import home_tile  # noqa: F401  (registers the home page tile)
from app.services.reminders.rules import PAYMENT_STATE_LABELS, describe_step, rule_label
from app.services.reminders.schedule import SEND_NOW_JOB, plan, today_in_tokyo
from app.views.money import Money, local_time
from app.views.refusals import back_to

SEND_RIGHT = ("can_send", "Reminder")
REMINDER_STATE_LABELS = {
    "claimed": _l("Claimed"),
    "sending": _l("Sending"),
    "sent": _l("Sent"),
    "failed": _l("Failed"),
    "cancelled": _l("Cancelled"),
}


def invoice_url(document) -> str:
    """The invoice's page."""
    return url_for(f"{KINDS['invoice'].view_name}.show", pk=document.id)


def planned_row(planned) -> dict:
    """One line of the preview, as shown (and as the API answers it)."""
    document = planned.document
    return {
        "document_id": document.id,
        "number": document.number,
        "company_id": document.company_id,
        "company": document.company.name,
        "rule": rule_label(planned.rule.days, planned.rule.name),
        "step": planned.step,
        "step_words": describe_step(planned.step),
        "days": planned.days,
        "due_date": document.due_date.isoformat(),
        "balance": planned.balance,
        "currency": document.currency,
        "recipient": planned.recipient,
        "held": planned.held,
        "retry": planned.retry,
        "invoice_state": document.state,
    }


class RemindersView(BaseView):
    """The preview of today's reminders."""

    route_base = "/reminders"
    class_permission_name = "Reminder"
    method_permission_name = REMINDER_VERBS
    base_permissions = ["can_read", "can_send"]
    default_view = "preview"

    @expose("/")
    @has_access
    def preview(self):
        """Today's reminders (Tokyo): what goes out, what is held and why; nothing is sent."""
        today = today_in_tokyo()
        rows = []
        for planned in plan(today):
            row = planned_row(planned)
            row["balance_shown"] = Money(planned.balance, row["currency"])
            row["invoice_url"] = invoice_url(planned.document)
            row["state_label"] = PAYMENT_STATE_LABELS[
                "partially_paid" if planned.document.state == "partially_paid" else "unpaid"
            ]
            row["followup_url"] = url_for("FollowUpView.followup", pk=row["company_id"])
            rows.append(row)
        recent = (
            db.session.query(Reminder)
            .filter(Reminder.business_day == today)
            .order_by(Reminder.claimed_at.desc())
            .limit(100)
            .all()
        )
        return self.render_template(
            "renkei/reminders_preview.html",
            title=_l("Reminders"),
            today=today.isoformat(),
            hour=int(current_app.config.get("REMINDER_HOUR", 9)),
            going=[r for r in rows if not r["held"]],
            held=[r for r in rows if r["held"]],
            recent=recent,
            states=REMINDER_STATE_LABELS,
            describe_step=describe_step,
            rule_label=rule_label,
            local_time=local_time,
            invoice_url=invoice_url,
            Money=Money,
            may_send=user_may(g.user, *SEND_RIGHT),
        )

    @expose("/send", methods=["POST"])
    @has_access
    def send(self):
        """Send today's reminders now (queued; each step still goes once)."""
        back_to(url_for(".preview"))
        if not user_may(g.user, *SEND_RIGHT):
            raise Forbidden(_("You may not send reminders (it needs can_send on Reminder)."))
        launchers.launch(SEND_NOW_JOB, as_user=g.user.id)
        flash(_("Today's reminders are being sent."), "info")
        return redirect(url_for(".preview"))
