"""A deal's billing status (請求状況): derived from its invoices by one rule, ``summarise``.

The rule: each invoice of the deal that is not void speaks for itself — draft, pending
approval or approved is "draft"; sent or disputed is "unpaid", "overdue" once its due date
passed (Tokyo), partially paid likewise; paid is "paid"; written off is "void". Each of its
provider links adds what needs a person: "pending" while it is being issued, "failed"
when the provider refused it, "deleted" when the provider no longer has it. The deal shows
the most pressing of these (``PRIORITY``); "none" without invoices, "void" when every
invoice is void.

``deal.billing_status`` only caches the rule's answer so lists can filter, sort and export
it: every flush that touches a document, a payment or a provider link recomputes the
deals concerned in the same transaction (``install``), and the daily pull recomputes
those whose invoices passed their due date (``recompute_overdue``). Nothing else writes it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session, attributes

# Most pressing first: what a back-office person must act on comes before the rest.
PRIORITY = (
    "overdue",
    "failed",
    "deleted",
    "unpaid",
    "partially_paid",
    "pending",
    "draft",
    "paid",
    "void",
)
_BY_STATE = {
    "draft": "draft",
    "pending_approval": "draft",
    "approved": "draft",
    "sent": "unpaid",
    "disputed": "unpaid",
    "partially_paid": "partially_paid",
    "paid": "paid",
    "written_off": "void",
    "void": "void",
}
_OVERDUE_STATES = ("sent", "partially_paid")
_KEY = "renkei.billing_status.deals"


@dataclass
class Invoice:
    """What the rule reads of one invoice: its state, due date and its links' states."""

    state: str
    due_date: dt.date | None = None
    links: list[tuple[str, bool]] = field(default_factory=list)  # (billing_status, deleted)


def invoice_status(invoice: Invoice, today: dt.date) -> set[str]:
    """The statuses one invoice contributes to its deal's summary."""
    if invoice.state == "void":
        return {"void"}
    found = {_BY_STATE.get(invoice.state, "draft")}
    if invoice.state in _OVERDUE_STATES and invoice.due_date and invoice.due_date < today:
        found = {"overdue"}
    for status, deleted in invoice.links:
        if deleted or status == "deleted":
            found.add("deleted")
        elif status in ("pending", "failed"):
            found.add(status)
    return found


def summarise(invoices: Iterable[Invoice], today: dt.date) -> str:
    """The deal's billing status: the most pressing status among its invoices."""
    found: set[str] = set()
    for invoice in invoices:
        found |= invoice_status(invoice, today)
    for status in PRIORITY:
        if status in found:
            return status
    return "none"


def _today() -> dt.date:
    from app.services.sync.clock import business_today

    return business_today()


def compute(connection, deal_ids: Iterable[int], today: dt.date | None = None) -> dict:
    """deal id → its billing status by the rule, read from the database (``connection``
    is a SQLAlchemy Connection or Session)."""
    from app.models.documents import Document
    from app.models.sync import ExternalDocument

    ids = sorted({i for i in deal_ids if i is not None})
    if not ids:
        return {}
    today = today or _today()
    documents = Document.__table__.c
    links = ExternalDocument.__table__.c
    invoices: dict[int, dict[int, Invoice]] = defaultdict(dict)
    for chunk in _chunks(ids):
        for row in connection.execute(
            sa.select(documents.id, documents.deal_id, documents.state, documents.due_date)
            .where(documents.deal_id.in_(chunk))
            .where(documents.kind == "invoice")
        ):
            invoices[row.deal_id][row.id] = Invoice(row.state, row.due_date)
        for row in connection.execute(
            sa.select(
                links.document_id, links.deal_id, links.billing_status, links.deleted_at_provider
            )
            .where(links.deal_id.in_(chunk))
            .where(links.kind == "invoice")
        ):
            invoice = invoices[row.deal_id].get(row.document_id)
            if invoice is not None:
                invoice.links.append((row.billing_status, bool(row.deleted_at_provider)))
    return {deal_id: summarise(invoices[deal_id].values(), today) for deal_id in ids}


def _chunks(ids: list[int], size: int = 500):
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def store(session: Session, connection, deal_ids: Iterable[int]) -> None:
    """Recompute and write the cached status of ``deal_ids`` (inside the transaction)."""
    from app.models.crm import Deal

    deals = Deal.__table__
    for deal_id, status in compute(connection, deal_ids).items():
        connection.execute(
            deals.update()
            .where(deals.c.id == deal_id)
            .where(deals.c.billing_status != status)
            .values(billing_status=status)
        )
        loaded = session.identity_map.get(session.identity_key(Deal, deal_id))
        if loaded is not None:
            attributes.set_committed_value(loaded, "billing_status", status)


def recompute_overdue(session: Session) -> int:
    """Deals whose invoices passed their due date since their status was cached (nothing
    is written that day, so no flush would notice): recompute them; returns how many."""
    from app.models.crm import Deal
    from app.models.documents import Document

    today = _today()
    ids = [
        deal_id
        for (deal_id,) in session.query(Document.deal_id)
        .join(Deal, Deal.id == Document.deal_id)
        .filter(Document.kind == "invoice")
        .filter(Document.state.in_(_OVERDUE_STATES))
        .filter(Document.due_date < today)
        .filter(Deal.billing_status != "overdue")
        .distinct()
    ]
    store(session, session.connection(), ids)
    return len(ids)


def _deal_ids(session: Session) -> set[int]:
    from app.models.documents import Document, Payment
    from app.models.sync import ExternalDocument

    found: set[int] = set()
    payments: set[int] = set()
    for obj in [*session.new, *session.dirty, *session.deleted]:
        if isinstance(obj, (Document, ExternalDocument)):
            state = inspect(obj)
            history = state.attrs.deal_id.history
            found.update(i for i in (*history.added, *history.deleted, *history.unchanged) if i)
            with session.no_autoflush:  # an expired deal_id is read back
                if obj.deal_id:
                    found.add(obj.deal_id)
            # A deal given as the relationship has no deal_id before the flush.
            related = state.attrs.deal.history
            found.update(
                d.id
                for d in (*related.added, *related.deleted, *related.unchanged)
                if d is not None and d.id
            )
        elif isinstance(obj, Payment):
            if obj.document is not None and obj.document.deal_id:
                found.add(obj.document.deal_id)
            elif obj.document_id:
                payments.add(obj.document_id)
    if payments:
        with session.no_autoflush:
            found.update(
                deal_id
                for (deal_id,) in session.query(Document.deal_id).filter(
                    Document.id.in_(payments), Document.deal_id.isnot(None)
                )
            )
    return found


def _before_flush(session: Session, _context, _instances) -> None:
    ids = _deal_ids(session)
    if ids:
        session.info.setdefault(_KEY, set()).update(ids)


def _after_flush(session: Session, _context) -> None:
    ids = session.info.pop(_KEY, None)
    if ids:
        store(session, session.connection(), ids)


def install() -> None:
    """Keep every deal's cached status true on each flush (idempotent)."""
    if not event.contains(Session, "before_flush", _before_flush):
        event.listen(Session, "before_flush", _before_flush)
    if not event.contains(Session, "after_flush_postexec", _after_flush):
        event.listen(Session, "after_flush_postexec", _after_flush)
