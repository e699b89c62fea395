"""A document's states and the only transitions allowed between them.

draft → pending_approval → approved → sent → paid is the main road; approval may be
skipped when no rule asks for it (approvals.submit decides). Payments move an invoice to
partially_paid or paid; it may also be disputed, written off or voided. "overdue" is not
a state anyone sets: it is derived from the due date (Asia/Tokyo) and the balance.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.models.document_kinds import KINDS
from app.models.documents import Document
from app.services.errors import InvalidInput

TOKYO = ZoneInfo("Asia/Tokyo")

STATE_LABELS = {
    "draft": _l("Draft"),
    "pending_approval": _l("Pending approval"),
    "approved": _l("Approved"),
    "sent": _l("Sent"),
    "partially_paid": _l("Partially paid"),
    "paid": _l("Paid"),
    "overdue": _l("Overdue"),
    "written_off": _l("Written off"),
    "disputed": _l("Disputed"),
    "void": _l("Void"),
}
# The kinds' labels, from the registry of kinds.
KIND_LABELS = {code: kind.label for code, kind in KINDS.items()}

# state → the states it may move to, for every kind.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "draft": ("pending_approval", "approved", "void"),
    "pending_approval": ("approved", "draft", "void"),
    "approved": ("sent", "draft", "void"),
    "sent": ("partially_paid", "paid", "disputed", "written_off", "void"),
    "partially_paid": ("paid", "disputed", "written_off"),
    "disputed": ("sent", "partially_paid", "paid", "written_off", "void"),
    "paid": (),
    "written_off": (),
    "void": (),
}
# Payment states only exist for kinds with payments (invoices); others end at "sent" (or void).
PAYMENT_STATES = frozenset({"partially_paid", "paid", "disputed", "written_off"})
# States in which an invoice is owed money (open receivables).
OPEN_STATES = ("sent", "partially_paid", "disputed")
# Open states that turn overdue after the due date; a disputed invoice shows as disputed.
OVERDUE_STATES = ("sent", "partially_paid")
# States whose content may still be edited; anything later is corrected by a credit note.
EDITABLE_STATES = frozenset({"draft"})


def today_tokyo() -> dt.date:
    """Today's date in Asia/Tokyo, which decides what is overdue."""
    return dt.datetime.now(TOKYO).date()


def allowed_next(document: Document) -> tuple[str, ...]:
    """The states ``document`` may move to from where it is."""
    return allowed_from(document.kind, document.state)


def allowed_from(kind: str, state: str) -> tuple[str, ...]:
    """The states a document of ``kind`` in ``state`` may move to."""
    nexts = TRANSITIONS.get(state, ())
    if kind not in KINDS or not KINDS[kind].payments:
        nexts = tuple(s for s in nexts if s not in PAYMENT_STATES)
    return nexts


def check_transition(document: Document, target: str) -> None:
    """Refuse a move of ``document`` that is not allowed, saying which moves are."""
    check_move(document.kind, document.state, target)


def check_move(kind: str, state: str, target: str) -> None:
    """Refuse a move from ``state`` to ``target`` that is not allowed, saying which are."""
    if target not in STATE_LABELS or target == "overdue":
        raise InvalidInput(_("Unknown state %(state)s.", state=target), field="state")
    allowed = allowed_from(kind, state)
    if target in allowed:
        return
    if allowed:
        choices = ", ".join(str(STATE_LABELS[s]) for s in allowed)
        message = _(
            "A document in state “%(state)s” cannot become “%(target)s”; it can become: "
            "%(choices)s.",
            state=STATE_LABELS[state],
            target=STATE_LABELS[target],
            choices=choices,
        )
    else:
        message = _(
            "A document in state “%(state)s” is final and cannot become “%(target)s”.",
            state=STATE_LABELS[state],
            target=STATE_LABELS[target],
        )
    raise InvalidInput(message, field="state")


def move(document: Document, target: str) -> None:
    """Set the state after checking the move (the audit trail records it at flush)."""
    check_transition(document, target)
    document.state = target


def is_overdue(document: Document, today: dt.date | None = None) -> bool:
    """A sent or partially paid invoice past its due date (in Tokyo) is overdue."""
    if document.kind != "invoice" or document.state not in OVERDUE_STATES:
        return False
    if document.due_date is None:
        return False
    return document.due_date < (today or today_tokyo())


def display_state(document: Document, today: dt.date | None = None) -> str:
    """The state a person sees: the stored one, or "overdue" when it is."""
    return "overdue" if is_overdue(document, today) else document.state
