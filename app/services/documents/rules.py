"""Rules kept on every flush: line amounts, totals per tax rate, numbers, the edit lock.

They run for every door (screens, API, jobs), so a sent document cannot be edited in
place and a state cannot jump, whoever tries.
"""

from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import event, inspect, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, attributes

from app.models.choices import CURRENCIES
from app.models.document_kinds import KINDS
from app.models.documents import Document, DocumentCounter, DocumentLine, LegalEntity
from app.models.publishing import EmailDispatch
from app.services.documents.approvals import withdraw
from app.services.documents.issuing import check_creditable
from app.services.documents.lifecycle import (
    EDITABLE_STATES,
    STATE_LABELS,
    check_move,
    today_tokyo,
)
from app.services.errors import InvalidInput
from app.services.lines import complete_line
from app.services.registration import normalize_registration_number
from app.services.tax import compute_totals

# session.info key: the lines moved between documents in this flush, for the audit trail.
LINE_MOVES = "renkei.line_moves"
# Columns that may change once a document has left draft: its state and bookkeeping, and
# the deal it is filed under (not on the document itself: a person with the write right
# may take it off its deal, audited; app/services/sync/links.unlink_from_deal).
_UNLOCKED = frozenset({"state", "sent_at", "updated_at", "deal_id", "deal"})
_COLOURS = "0123456789abcdefABCDEF"


def _live_lines(session: Session | None, document: Document, deleted: set) -> list:
    """The lines ``document`` has after this flush: those stored now (another request may
    have added some since this one loaded the document; its row is locked by then, see
    ``_check_lock``) with this session's changes, plus lines new or moved in here."""
    loaded = [line for line in document.lines if line not in deleted and line.document is document]
    if session is None or document.id is None or document in session.new:
        return loaded
    stored = session.scalars(select(DocumentLine).where(DocumentLine.document_id == document.id))
    live = [line for line in stored if line not in deleted and line.document is document]
    known = set(live)
    for line in loaded:
        if line not in known and (line in session.new or _moved_from(session, line) is not None):
            live.append(line)
    return live


def recompute(document: Document, deleted: set, session: Session | None = None) -> None:
    """Check the header, fill the lines and derive subtotal, tax and total per tax rate."""
    # Column defaults apply only at INSERT; the rules below need the values now.
    if document.currency is None:
        entity = document.legal_entity
        document.currency = entity.base_currency if entity is not None else "JPY"
    document.language = document.language or "ja"
    if document.currency not in CURRENCIES:
        raise InvalidInput(
            _("Unknown currency %(code)s.", code=document.currency), field="currency"
        )
    if document.issue_date is None:
        document.issue_date = today_tokyo()
    if document.due_date and document.due_date < document.issue_date:
        raise InvalidInput(_("The due date cannot be before the issue date."), field="due_date")
    if not document.recipient_name and document.company is not None:
        document.recipient_name = document.company.name
    # A line moved to another document may still sit in this one's loaded collection.
    live = _live_lines(session, document, deleted)
    for line in live:
        complete_line(line, document.currency)
    rounding = document.legal_entity.tax_rounding if document.legal_entity else "down"
    totals = compute_totals(
        [(Decimal(line.amount), line.tax_rate) for line in live], document.currency, rounding
    )
    for name, value in (("subtotal", totals.net), ("tax", totals.tax), ("total", totals.gross)):
        if getattr(document, name) is None or Decimal(getattr(document, name)) != value:
            setattr(document, name, value)


def _committed_state(document: Document) -> str | None:
    history = attributes.get_history(document, "state")
    if history.deleted:
        return history.deleted[0]
    return document.state


def _changed_content(document: Document) -> set[str]:
    """The content columns of ``document`` changed in this flush (not state, bookkeeping)."""
    return {
        attr.key
        for attr in inspect(document).attrs
        if attr.key not in _UNLOCKED
        and attr.history.has_changes()
        and attr.key not in ("lines", "payments", "approvals", "source")
    }


def _withdraw_on_edit(document: Document, lines_changed: bool) -> None:
    """A draft edited while a request is still open: the request no longer says what is
    being approved, so it is closed (approvals.decide would refuse it anyway)."""
    if _committed_state(document) != "draft" or not (lines_changed or _changed_content(document)):
        return
    if any(r.decision is None for r in document.approvals):
        withdraw(document, _("Withdrawn: the document was edited."))


def _stored_state(session: Session, document: Document) -> str | None:
    """``document``'s state as committed now, its row locked until the transaction ends.

    The session may have loaded the document before another request submitted, approved
    or sent it; the edit lock must judge by what is stored, not by that old copy. A verb
    that already holds the row lock (locking.lock) reads its own state back.
    """
    table = Document.__table__
    return session.execute(
        select(table.c.state).where(table.c.id == document.id).with_for_update()
    ).scalar()


def _check_lock(document: Document, lines_changed: bool, session: Session) -> None:
    """Refuse content changes to a document that has left draft (as stored now)."""
    changed = _changed_content(document)
    if not (changed or lines_changed):
        return
    state = _committed_state(document)
    if state in EDITABLE_STATES:
        state = _stored_state(session, document) or state
    if state in EDITABLE_STATES:
        return
    raise InvalidInput(
        _(
            "%(number)s is “%(state)s” and can no longer be edited: reopen it as a draft "
            "if it was not sent, or issue a credit note to correct it.",
            number=document.number or "",
            state=STATE_LABELS.get(state, state),
        ),
        field=next(iter(sorted(changed)), "lines"),
    )


def _check_state_change(document: Document, is_new: bool) -> None:
    if is_new:
        if document.state not in (None, "draft"):
            raise InvalidInput(_("A new document starts as a draft."), field="state")
        return
    history = attributes.get_history(document, "state")
    if history.deleted and history.added:
        old, new = history.deleted[0], history.added[0]
        check_move(document.kind, old, new)
        if old == "approved" and new != "sent":
            _check_no_email_on_its_way(document)
        if new == "void" and document.payments:
            raise InvalidInput(
                _("This invoice has payments: issue a credit note instead of voiding it."),
                field="state",
            )


def check_entity_kept(document: Document, session: Session) -> None:
    """A numbered document keeps its issuer: the number came from that entity's counter."""
    if not (
        attributes.get_history(document, "legal_entity_id").added
        or attributes.get_history(document, "legal_entity").added
    ):
        return
    table = Document.__table__
    stored = session.execute(
        select(table.c.legal_entity_id).where(table.c.id == document.id)
    ).scalar()
    new = document.legal_entity.id if document.legal_entity is not None else None
    new = new or document.legal_entity_id
    if document.number and stored is not None and new != stored:
        raise InvalidInput(
            _(
                "%(number)s was numbered by its issuer and cannot move to another legal "
                "entity: make a new document for the other entity instead.",
                number=document.number,
            ),
            field="legal_entity",
        )


def _check_no_email_on_its_way(document: Document) -> None:
    """An email queued or being sent reaches the customer whatever happens here: the
    document must stay approved until it is sent (or the email fails)."""
    session = inspect(document).session
    busy = session.execute(
        select(EmailDispatch.id)
        .where(EmailDispatch.document_id == document.id)
        .where(EmailDispatch.state.in_(("queued", "sending")))
        .limit(1)
    ).first()
    if busy is not None:
        raise InvalidInput(
            _(
                "An email of this document is on its way to the customer: wait until it "
                "is sent or has failed."
            ),
            field="state",
        )


def check_legal_entity(entity: LegalEntity) -> None:
    """Normalise the registration number (T + 13 digits, check digit) and the colour."""
    try:
        entity.registration_number = normalize_registration_number(entity.registration_number)
    except InvalidInput as refused:  # same rule as a company's, this model's field name
        raise InvalidInput(str(refused), field="registration_number") from None
    colour = entity.brand_colour or "#1f4e79"
    if len(colour) != 7 or colour[0] != "#" or any(c not in _COLOURS for c in colour[1:]):
        raise InvalidInput(_("The brand colour must be #rrggbb."), field="brand_colour")


def _moved_from(session: Session, line: DocumentLine) -> int | None:
    """The document a persistent line is being moved away from (None: it is not moving)."""
    if line in session.new or line.id is None:
        return None
    if not (
        attributes.get_history(line, "document").added
        or attributes.get_history(line, "document_id").added
    ):
        return None
    stored = session.execute(
        select(DocumentLine.document_id).where(DocumentLine.id == line.id)
    ).scalar()
    target = line.document.id if line.document is not None else line.document_id
    return stored if stored is not None and stored != target else None


def _check_same_kind(source: Document | None, target: Document | None) -> None:
    """A line moves only between documents of one kind (a quote's line never lands on
    an invoice: the right to write quotes is not the right to write invoices)."""
    if source is not None and target is not None and source.kind != target.kind:
        raise InvalidInput(
            _("A line can only move to another %(kind)s.", kind=KINDS[source.kind].label),
            field="document",
        )


def _before_flush(session: Session, flush_context, instances) -> None:
    deleted = set(session.deleted)
    touched: dict[Document, bool] = {}
    moves = session.info[LINE_MOVES] = []
    for obj in list(session.new) + list(session.dirty) + list(deleted):
        if isinstance(obj, Document) and obj not in deleted:
            touched.setdefault(obj, False)
        elif isinstance(obj, DocumentLine):
            doc = obj.document
            if doc is None and obj in deleted:
                doc = session.get(Document, obj.document_id) if obj.document_id else None
            if doc is not None and doc not in deleted:
                touched[doc] = True
            old_id = _moved_from(session, obj) if obj not in deleted else None
            if old_id is not None:
                source = session.get(Document, old_id)
                _check_same_kind(source, doc)
                # Both documents change: each must still be a draft (the edit lock).
                touched[source] = True
                moves.append((obj, old_id))
        elif isinstance(obj, LegalEntity) and obj not in deleted:
            check_legal_entity(obj)
    # Documents in id order: two flushes locking the same rows lock them in one order.
    for document, lines_changed in sorted(touched.items(), key=lambda item: item[0].id or 0):
        is_new = document in session.new
        _check_state_change(document, is_new)
        if not is_new:
            check_entity_kept(document, session)  # its number is the entity's (0020_entities)
            _check_lock(document, lines_changed, session)
            _withdraw_on_edit(document, lines_changed)
        if is_new or lines_changed or _committed_state(document) in EDITABLE_STATES:
            recompute(document, deleted, session)
        if document.kind == "credit_note" and (
            is_new or lines_changed or _changed_content(document)
        ):
            check_creditable(document, session)


def _number(mapper, connection, document: Document) -> None:
    """Give a new document the next number of its issuer and kind (INV-000042, or with
    the entity's prefix US-INV-000001), gapless per legal entity and kind.

    The counter row of (entity, kind) is made on first use (INSERT … ON CONFLICT DO
    NOTHING) and updated in the document's own transaction: concurrent inserts of one
    entity and kind wait for each other, and a rolled-back document gives its number back.
    """
    if document.number:
        return
    entity_id = document.legal_entity_id or document.legal_entity.id
    counters = DocumentCounter.__table__
    key = {"legal_entity_id": entity_id, "kind": document.kind}
    insert = (pg_insert if connection.dialect.name == "postgresql" else sqlite_insert)(counters)
    connection.execute(insert.values(**key, last_number=0).on_conflict_do_nothing())
    last = connection.execute(
        counters.update()
        .where(counters.c.legal_entity_id == entity_id)
        .where(counters.c.kind == document.kind)
        .values(last_number=counters.c.last_number + 1)
        .returning(counters.c.last_number)
    ).scalar_one()
    prefix = connection.execute(
        select(LegalEntity.__table__.c.number_prefix).where(LegalEntity.__table__.c.id == entity_id)
    ).scalar()
    number = (prefix or "") + KINDS[document.kind].number(last)
    connection.execute(
        Document.__table__.update().where(Document.__table__.c.id == document.id),
        {"number": number},
    )
    attributes.set_committed_value(document, "number", number)


def install() -> None:
    """Attach the rules to every ORM session and document insert (idempotent)."""
    if not event.contains(Session, "before_flush", _before_flush):
        event.listen(Session, "before_flush", _before_flush)
    if not event.contains(Document, "after_insert", _number):
        event.listen(Document, "after_insert", _number)
