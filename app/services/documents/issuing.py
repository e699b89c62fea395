"""Making documents: by hand, from a deal, a quote converted to an invoice, a credit note."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _

from app.extensions import db
from app.models.crm import Company, Deal
from app.models.document_kinds import DOCUMENT_KINDS
from app.models.documents import Document, DocumentLine, LegalEntity
from app.services.actor import acting_as
from app.services.documents.due_dates import DEFAULT_DUE_DAYS as DEFAULT_DUE_DAYS
from app.services.documents.due_dates import default_due_date
from app.services.documents.lifecycle import today_tokyo
from app.services.documents.transaction import locked
from app.services.errors import InvalidInput
from app.services.money import format_money

# What a person writes on a draft's header, on the screen and through the API alike.
HEADER_FIELDS = [
    "legal_entity",
    "company",
    "contact",
    "recipient_name",
    "recipient_email",
    "currency",
    "language",
    "issue_date",
    "transaction_date",
    "due_date",
    "terms",
    "notes",
]
_LINE_FIELDS = ("product", "name", "unit", "unit_price", "quantity", "discount_percent", "tax_rate")


def default_legal_entity() -> LegalEntity:
    """The first legal entity; documents need one to be issued by."""
    entity = db.session.query(LegalEntity).order_by(LegalEntity.id).first()
    if entity is None:
        raise InvalidInput(
            _("No issuing legal entity is set up yet: add one under Documents → Legal entities."),
            field="legal_entity",
        )
    return entity


def new_document(
    kind: str,
    company: Company,
    *,
    user=None,
    legal_entity: LegalEntity | None = None,
    lines: list[dict] | None = None,
    commit: bool = True,
    **fields,
) -> Document:
    """A draft document of ``kind`` for ``company`` with ``lines`` (dicts of line fields);
    ``commit=False`` flushes it into the caller's transaction instead."""
    if kind not in DOCUMENT_KINDS:
        raise InvalidInput(_("Unknown document kind %(kind)s.", kind=kind), field="kind")
    issue_date = fields.pop("issue_date", None) or today_tokyo()
    legal_entity = legal_entity or default_legal_entity()
    document = Document(
        kind=kind,
        company=company,
        legal_entity=legal_entity,
        recipient_name=fields.pop("recipient_name", None) or company.name,
        recipient_email=fields.pop("recipient_email", None) or company.email,
        issue_date=issue_date,
        transaction_date=fields.pop("transaction_date", None) or issue_date,
        due_date=fields.pop("due_date", None)
        or default_due_date(kind, issue_date, company, legal_entity),
        created_by=user,
        state="draft",
        **fields,
    )
    for position, line in enumerate(lines or [], start=1):
        document.lines.append(DocumentLine(position=position, **line))
    with acting_as(user):
        db.session.add(document)
        if commit:
            db.session.commit()
        else:
            db.session.flush()
    return document


def from_deal(
    deal: Deal,
    kind: str = "invoice",
    *,
    user=None,
    commit: bool = True,
    automatic: bool = False,
    legal_entity: LegalEntity | None = None,
) -> Document:
    """A draft document carrying the deal's lines, or its product-less contract amount
    (``automatic``: made by a stage automation rule, marked so; ``legal_entity``: the
    issuer, e.g. the connection's it is made for; default the first entity)."""
    if deal.lines:
        lines = [{k: getattr(line, k) for k in _LINE_FIELDS} for line in deal.lines]
    elif deal.amount and Decimal(deal.amount) > 0:
        lines = [{"name": deal.title, "unit_price": deal.amount, "quantity": Decimal(1)}]
    else:
        raise InvalidInput(
            _("This deal has no lines and no amount: add a line or an amount first."),
            field="amount",
        )
    return new_document(
        kind,
        deal.company,
        user=user,
        lines=lines,
        commit=commit,
        deal=deal,
        currency=deal.currency,
        contact=deal.contact,
        recipient_email=(deal.contact.email if deal.contact else None) or deal.company.email,
        created_by_automation=automatic,
        legal_entity=legal_entity,
    )


def _copy(document: Document, kind: str, user, lines=None, **fields) -> Document:
    if lines is None:
        lines = [{k: getattr(line, k) for k in _LINE_FIELDS} for line in document.lines]
    return new_document(
        kind,
        document.company,
        user=user,
        legal_entity=document.legal_entity,
        lines=lines,
        source=document,
        deal=document.deal,
        contact=document.contact,
        currency=document.currency,
        language=document.language,
        recipient_name=document.recipient_name,
        recipient_email=document.recipient_email,
        terms=document.terms,
        **fields,
    )


def convert_quote(quote: Document, *, user=None) -> Document:
    """A draft invoice from an approved or sent quote, with the same lines and terms.

    The quote's row is locked first: of two conversions at once, the second sees the
    invoice the first made and is refused.
    """
    with locked(quote):
        if quote.kind != "quote":
            raise InvalidInput(_("Only a quote converts into an invoice."), field="kind")
        if quote.state not in ("approved", "sent"):
            raise InvalidInput(
                _("Only an approved or sent quote converts into an invoice."), field="state"
            )
        existing = (
            db.session.query(Document)
            .filter(Document.source_id == quote.id, Document.kind == "invoice")
            .filter(Document.state != "void")
            .first()
        )
        if existing is not None:
            raise InvalidInput(
                _("This quote was already converted into %(number)s.", number=existing.number),
                field="source",
            )
        return _copy(quote, "invoice", user)


def credited_elsewhere(invoice_id: int, credit_note_id: int | None = None) -> Decimal:
    """The total of ``invoice_id``'s credit notes that are not void, but this one.

    Drafts count: what a draft credits is spoken for, so two credit notes written at
    the same time cannot both take the whole invoice.
    """
    query = sa.select(sa.func.coalesce(sa.func.sum(Document.total), 0)).where(
        Document.source_id == invoice_id,
        Document.kind == "credit_note",
        Document.state != "void",
    )
    if credit_note_id is not None:
        query = query.where(Document.id != credit_note_id)
    return Decimal(db.session.execute(query).scalar())


def creditable(invoice: Document, credit_note_id: int | None = None) -> Decimal:
    """What may still be credited on ``invoice``: its total less its other credit notes."""
    return Decimal(invoice.total) - credited_elsewhere(invoice.id, credit_note_id)


def lock_invoice_row(session, invoice_id: int) -> None:
    """Hold ``invoice_id``'s row until the transaction ends (SELECT … FOR UPDATE), so
    credit notes of one invoice are checked against its ceiling one at a time."""
    table = Document.__table__
    session.execute(sa.select(table.c.id).where(table.c.id == invoice_id).with_for_update())


def _related_id(document: Document, name: str):
    """The id of ``document``'s ``name`` relation as set now (before the flush syncs the
    foreign key column)."""
    related = getattr(document, name)
    return related.id if related is not None else getattr(document, f"{name}_id")


def check_creditable(note: Document, session=None) -> None:
    """Refuse a credit note whose total is above what its invoice has left to credit, or
    that is not in its invoice's currency, for its customer, from its issuer."""
    invoice = note.source
    if note.kind != "credit_note" or invoice is None or note.state == "void":
        return
    for field, mine, theirs in (
        ("currency", note.currency, invoice.currency),
        ("company", _related_id(note, "company"), _related_id(invoice, "company")),
        (
            "legal_entity",
            _related_id(note, "legal_entity"),
            _related_id(invoice, "legal_entity"),
        ),
    ):
        if mine != theirs:
            raise InvalidInput(
                _(
                    "A credit note keeps the currency, customer and issuer of %(number)s.",
                    number=invoice.number,
                ),
                field=field,
            )
    lock_invoice_row(session or db.session, invoice.id)
    ceiling = creditable(invoice, note.id)
    if Decimal(note.total or 0) > ceiling:
        raise InvalidInput(
            _(
                "A credit note for %(number)s can credit at most %(ceiling)s (its total less "
                "its other credit notes); this one is %(total)s.",
                number=invoice.number,
                ceiling=format_money(max(ceiling, Decimal(0)), invoice.currency),
                total=format_money(note.total, note.currency),
            ),
            field="lines",
        )


def credit_note_for(invoice: Document, *, user=None) -> Document:
    """A draft credit note for a sent invoice: in full when nothing was credited yet,
    otherwise empty (add lines up to what remains creditable).

    The invoice's row is locked first, so two credit notes at once cannot both take it.
    """
    with locked(invoice):
        if invoice.kind != "invoice":
            raise InvalidInput(_("A credit note corrects an invoice."), field="kind")
        if invoice.state in ("draft", "pending_approval", "approved", "void"):
            raise InvalidInput(
                _(
                    "This invoice was not sent: edit it (reopen it as a draft) instead of "
                    "crediting."
                ),
                field="state",
            )
        remaining = creditable(invoice)
        if remaining <= 0:
            raise InvalidInput(
                _(
                    "%(number)s is already fully credited: edit or void its existing credit "
                    "notes instead.",
                    number=invoice.number,
                ),
                field="source",
            )
        notes = _("Credit for %(n)s", n=invoice.number)
        if remaining >= Decimal(invoice.total):
            return _copy(invoice, "credit_note", user, notes=notes)
        return _copy(invoice, "credit_note", user, notes=notes, lines=[])


def give_default_due_date(document: Document) -> None:
    """An invoice leaving draft without a due date is due after the customer's (else the
    issuer's, else ``DEFAULT_DUE_DAYS``) payment terms, as an invoice made from a deal is
    (so it has a お支払期限 and can become overdue). Called by approvals.submit, inside its
    lock; the trail records the change."""
    if document.due_date is None:
        issued = document.issue_date or today_tokyo()
        document.due_date = default_due_date(
            document.kind, issued, document.company, document.legal_entity
        )


def next_line_position(session, document_id: int) -> int:
    """The number of a line added at the end of a document: one past the largest (1 for
    the first), counted in SQL so the new line need not be in the session yet."""
    with session.no_autoflush:
        largest = (
            session.query(sa.func.max(DocumentLine.position))
            .filter(DocumentLine.document_id == document_id)
            .scalar()
        )
    return (largest or 0) + 1
