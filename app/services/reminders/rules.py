"""Reminder rules: a default set, and per-company overrides that replace it.

A rule's step is a day relative to the due date. The step due for an invoice today is
the latest step of its rules that has been reached (``days`` ≤ days since the due
date) and matches its payment state, so a day the scheduler missed is caught up the
next day, and an invoice found long overdue gets one reminder, not every earlier one.
"""

from __future__ import annotations

from collections import defaultdict

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models.reminders import PAYMENT_STATES, STEP_LIMIT, ReminderRule
from app.services.errors import InvalidInput

CONFIGURE_RIGHT = ("can_write", "ReminderRule")
# (days, English name): 3 days before the due date, on the day, 7 and 30 days overdue.
DEFAULT_SET = (
    (-3, "3 days before the due date"),
    (0, "On the due date"),
    (7, "7 days overdue"),
    (30, "30 days overdue"),
)
PAYMENT_STATE_LABELS = {
    "any": _l("Unpaid or partially paid"),
    "unpaid": _l("Unpaid"),
    "partially_paid": _l("Partially paid"),
}
# The stored invoice state each payment state matches.
_MATCHES = {
    "any": ("sent", "partially_paid"),
    "unpaid": ("sent",),
    "partially_paid": ("partially_paid",),
}


def ensure_default_rules(session=None) -> int:
    """Create the default set once, when no default rule exists; returns how many."""
    session = session or db.session
    if session.query(ReminderRule).filter(ReminderRule.company_id.is_(None)).first():
        return 0
    for days, name in DEFAULT_SET:
        session.add(ReminderRule(name=name, days=days, payment_state="any", active=True))
    session.commit()
    return len(DEFAULT_SET)


def check_rule(rule: ReminderRule) -> None:
    """Refuse a rule whose step or payment state cannot be used, in words."""
    if rule.days is None or not -STEP_LIMIT <= int(rule.days) <= STEP_LIMIT:
        raise InvalidInput(
            _("The day must be between -%(n)d and %(n)d.", n=STEP_LIMIT), field="days"
        )
    if (rule.payment_state or "any") not in PAYMENT_STATES:
        raise InvalidInput(_("Unknown payment state."), field="payment_state")
    if not (rule.name or "").strip():
        raise InvalidInput(_("Give the rule a name."), field="name")


def active_rules(session=None) -> dict[int | None, list[ReminderRule]]:
    """Active rules by company id (None: the default set), each list by step."""
    session = session or db.session
    grouped: dict[int | None, list[ReminderRule]] = defaultdict(list)
    for rule in session.query(ReminderRule).filter_by(active=True).order_by(ReminderRule.days):
        grouped[rule.company_id].append(rule)
    return grouped


def rules_for(company_id: int, grouped: dict) -> list[ReminderRule]:
    """A company's own rules when it has any, else the default set."""
    return grouped.get(company_id) or grouped.get(None) or []


def due_rule(rules: list[ReminderRule], days: int, state: str) -> ReminderRule | None:
    """The latest step reached by an invoice ``days`` after its due date, in ``state``."""
    reached = [r for r in rules if r.days <= days and state in _MATCHES[r.payment_state]]
    return max(reached, key=lambda r: r.days) if reached else None


def describe_step(days: int) -> str:
    """A step in words: "3 days before the due date", "on the due date", "7 days overdue"."""
    if days < 0:
        return _("%(n)d days before the due date", n=-days)
    if days == 0:
        return _("on the due date")
    return _("%(n)d days overdue", n=days)


def rule_label(days: int, name: str | None) -> str:
    """A rule's name as people read it: a default rule, still named as shipped, reads in
    the reader's language; a name someone chose stays as written."""
    if (days, name) in DEFAULT_SET:
        return describe_step(days)
    return name or describe_step(days)
