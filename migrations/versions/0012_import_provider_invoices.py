"""import provider invoices: every provider invoice or quote made straight from a deal
before documents were one becomes a Renkei document, and its row that document's link

Revision ID: 0012_import
Revises: 0011_links
Create Date: 2026-12-02 10:00:00

Before 0011 the deal tab created an invoice (or quote) at a provider directly: an
``external_document`` row per deal and connection, with no Renkei document. Each such
row (``document_id IS NULL``) gets the Renkei document it stands for, in order of the
row's id:

- kind and number: the row's kind, numbered from ``document_counter`` (gapless, the
  counter row is moved in this transaction); issuer: the first legal entity, or, when
  there is none, a placeholder entity "(imported issuer)" made here (rounding "down",
  what the sync used without an entity) whose details stay live on these documents
  (no issuer snapshot), so filling in the real issuer fixes them;
- customer, deal, contact and recipient as ``issuing.from_deal`` takes them; currency
  and dates from the row (issue date: the row's, else its creation day in Tokyo; the
  due date for invoices only — a provider quote's "due date" is its expiry);
- lines "as they were sent": the deal's lines now (positions 1..n in the deal's order),
  or one line with the deal's title and amount at the standard rate (the rule of
  app/services/sync/lines.py); amounts and totals by the qualified-invoice rule with
  the issuer's tax rounding, frozen on the document with the issuer's details like
  app/services/documents/issuer.py does. A provider total that differs stays on the
  link, where the mismatch report shows it;
- state from the row's billing status: never reached the provider or a draft there →
  approved; sent, unpaid, overdue, partially paid, deleted at the provider → sent
  (a partial payment has no known amount: the next pull records the provider's, see
  app/services/sync/settlement.py); paid → paid, with one payment of the whole total
  from that connection (none for a zero total); void → void. A quote has no payment
  states: paid → sent;
- the row: ``document_id`` and ``origin = 'imported'``; everything else unchanged;
- the trail: one "imported" entry per document, by the system;
- the deals' cached billing status, by the rule of app/services/billing_status.py.

The rules are written out here with Decimal (no app imports): a migration must do what
it did the day it was written, whatever the services become, and must not need an app
context. tests/test_migrations_import.py checks them against the services' own.

Downgrade deletes the imported documents with their lines, payments, approvals, PDFs
and emails, and puts the rows back as they were (no document, origin "issued"). The
audit trail is append-only (the database refuses deletes): its entries stay, and an
entry "delete" says the import was undone. The counters go back only when the imported
numbers are still the last ones given (else they stay, a gap being better than a number
given twice). A document made since from an imported one (a credit note, a converted
quote) stops the downgrade with its number.
"""

import datetime as dt
import json
import logging
from collections import defaultdict
from decimal import ROUND_DOWN, ROUND_HALF_UP, ROUND_UP, Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op
from babel.numbers import get_currency_precision

revision = "0012_import"
down_revision = "0011_links"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

BATCH = 500
TOKYO = ZoneInfo("Asia/Tokyo")
PLACEHOLDER_ISSUER = "(imported issuer)"
PREFIXES = {"invoice": "INV-", "quote": "QT-"}
CURRENCIES = ("JPY", "USD", "EUR", "GBP", "CNY", "KRW", "SGD", "TWD")
TAX_RATES = {"standard_10": Decimal("0.10"), "reduced_8": Decimal("0.08"), "exempt": Decimal(0)}
RATE_ORDER = ("standard_10", "reduced_8", "exempt")
ROUNDING = {"down": ROUND_DOWN, "half_up": ROUND_HALF_UP, "up": ROUND_UP}
FROZEN_FIELDS = ("name", "name_en", "registration_number", "postal_code", "address", "bank_account")
# Provider billing status of the row → state of its Renkei document.
STATES = {
    "awaiting_approval": "approved",
    "pending": "approved",
    "draft": "approved",
    "failed": "approved",
    "sent": "sent",
    "unpaid": "sent",
    "overdue": "sent",
    "partially_paid": "sent",
    "deleted": "sent",
    "paid": "paid",
    "void": "void",
}
NOTE = "Imported from {connection}: provider {kind} {number} made from the deal before version 0012"
PAYMENT_NOTE = "Imported: paid at the provider before version 0012"
UNDONE_NOTE = "Import undone: migration 0012_import was downgraded"

# The deal's billing status (app/services/billing_status.py as of 0012).
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
BY_STATE = {
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

MONEY = sa.Numeric(18, 4)
meta = sa.MetaData()
links = sa.Table(
    "external_document",
    meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("connection_id", sa.Integer),
    sa.Column("deal_id", sa.Integer),
    sa.Column("document_id", sa.Integer),
    sa.Column("origin", sa.String(10)),
    sa.Column("kind", sa.String(10)),
    sa.Column("reference", sa.String(64)),
    sa.Column("external_id", sa.String(64)),
    sa.Column("number", sa.String(64)),
    sa.Column("issue_date", sa.Date),
    sa.Column("due_date", sa.Date),
    sa.Column("currency", sa.String(3)),
    sa.Column("billing_status", sa.String(20)),
    sa.Column("deleted_at_provider", sa.Boolean),
    sa.Column("last_pushed_at", sa.DateTime),
    sa.Column("last_pulled_at", sa.DateTime),
    sa.Column("created_at", sa.DateTime),
)
connections = sa.Table(
    "connection", meta, sa.Column("id", sa.Integer, primary_key=True), sa.Column("name", sa.String)
)
companies = sa.Table(
    "company",
    meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String),
    sa.Column("email", sa.String),
)
contacts = sa.Table(
    "contact", meta, sa.Column("id", sa.Integer, primary_key=True), sa.Column("email", sa.String)
)
deals = sa.Table(
    "deal",
    meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("title", sa.String),
    sa.Column("company_id", sa.Integer),
    sa.Column("contact_id", sa.Integer),
    sa.Column("currency", sa.String(3)),
    sa.Column("amount", MONEY),
    sa.Column("billing_status", sa.String(20)),
)


def _line_columns():
    return (
        sa.Column("position", sa.Integer),
        sa.Column("product_id", sa.Integer),
        sa.Column("name", sa.String),
        sa.Column("unit", sa.String),
        sa.Column("unit_price", MONEY),
        sa.Column("quantity", sa.Numeric(14, 4)),
        sa.Column("discount_percent", sa.Numeric(5, 2)),
        sa.Column("tax_rate", sa.String(20)),
        sa.Column("amount", MONEY),
    )


deal_lines = sa.Table(
    "deal_line",
    meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("deal_id", sa.Integer),
    *_line_columns(),
)
document_lines = sa.Table(
    "document_line",
    meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("document_id", sa.Integer),
    *_line_columns(),
)
entities = sa.Table(
    "legal_entity",
    meta,
    sa.Column("id", sa.Integer, primary_key=True),
    *(sa.Column(name, sa.String) for name in FROZEN_FIELDS),
    sa.Column("base_currency", sa.String(3)),
    sa.Column("tax_rounding", sa.String(10)),
    sa.Column("brand_colour", sa.String(7)),
    sa.Column("created_at", sa.DateTime),
    sa.Column("updated_at", sa.DateTime),
)
documents = sa.Table(
    "document",
    meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("kind", sa.String(20)),
    sa.Column("number", sa.String(30)),
    sa.Column("state", sa.String(20)),
    sa.Column("legal_entity_id", sa.Integer),
    sa.Column("company_id", sa.Integer),
    sa.Column("contact_id", sa.Integer),
    sa.Column("recipient_name", sa.String),
    sa.Column("recipient_email", sa.String),
    sa.Column("deal_id", sa.Integer),
    sa.Column("source_id", sa.Integer),
    sa.Column("currency", sa.String(3)),
    sa.Column("language", sa.String(2)),
    sa.Column("issue_date", sa.Date),
    sa.Column("transaction_date", sa.Date),
    sa.Column("due_date", sa.Date),
    sa.Column("subtotal", MONEY),
    sa.Column("tax", MONEY),
    sa.Column("total", MONEY),
    sa.Column("sent_at", sa.DateTime),
    sa.Column("created_at", sa.DateTime),
    sa.Column("updated_at", sa.DateTime),
    sa.Column("tax_rounding", sa.String(10)),
    sa.Column("issuer_snapshot", sa.Text),
)
payments = sa.Table(
    "payment",
    meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("document_id", sa.Integer),
    sa.Column("paid_on", sa.Date),
    sa.Column("amount", MONEY),
    sa.Column("method", sa.String(30)),
    sa.Column("reference", sa.String(100)),
    sa.Column("note", sa.Text),
    sa.Column("created_at", sa.DateTime),
    sa.Column("connection_id", sa.Integer),
)
counters = sa.Table(
    "document_counter",
    meta,
    sa.Column("kind", sa.String(20), primary_key=True),
    sa.Column("last_number", sa.Integer),
)
audit = sa.Table(
    "audit_entry",
    meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", sa.DateTime),
    sa.Column("user_id", sa.Integer),
    sa.Column("username", sa.String(100)),
    sa.Column("document_id", sa.Integer),
    sa.Column("document_number", sa.String(30)),
    sa.Column("action", sa.String(20)),
    sa.Column("note", sa.Text),
)
# What hangs on a document, children first (for the downgrade).
DEPENDENTS = ("email_dispatch", "document_pdf", "approval_request", "payment", "document_line")


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _tokyo_day(moment: dt.datetime | None) -> dt.date | None:
    """The Tokyo calendar day of a stored (naive UTC) time."""
    if moment is None:
        return None
    return moment.replace(tzinfo=dt.UTC).astimezone(TOKYO).date()


def _chunks(items: list):
    size = BATCH
    for start in range(0, len(items), size):
        yield items[start : start + size]


# -- money: app/services/money.py and app/services/tax.py as of 0012 ----------------------


def _round(amount, places: int, mode: str) -> Decimal:
    return Decimal(amount).quantize(Decimal(1).scaleb(-places), rounding=ROUNDING[mode])


def _line_amount(unit_price, quantity, discount_percent, places: int) -> Decimal:
    gross = Decimal(unit_price) * Decimal(quantity)
    net = gross * (Decimal(100) - Decimal(discount_percent or 0)) / Decimal(100)
    return _round(net, places, "half_up")


def _totals(lines: list[dict], places: int, rounding: str) -> tuple[Decimal, Decimal, Decimal]:
    """Subtotal, tax and total: each rate's net rounded, its tax rounded once."""
    sums: dict[str, Decimal] = {}
    for line in lines:
        sums[line["tax_rate"]] = sums.get(line["tax_rate"], Decimal(0)) + line["amount"]
    net_total = tax_total = Decimal(0)
    for code in RATE_ORDER:
        if code in sums:
            net = _round(sums[code], places, "half_up")
            net_total += net
            tax_total += _round(net * TAX_RATES[code], places, rounding)
    return net_total, tax_total, net_total + tax_total


# -- upgrade ---------------------------------------------------------------------------


class Issuer:
    """The legal entity the imported documents are issued by, as they keep it."""

    def __init__(self, bind, now: dt.datetime):
        row = bind.execute(sa.select(entities).order_by(entities.c.id).limit(1)).first()
        if row is None:
            self.id = bind.execute(
                entities.insert().values(
                    name=PLACEHOLDER_ISSUER,
                    base_currency="JPY",
                    tax_rounding="down",
                    brand_colour="#1f4e79",
                    created_at=now,
                    updated_at=now,
                )
            ).inserted_primary_key[0]
            log.warning(
                "0012_import: no legal entity was set up; the imported documents are "
                "issued by a new one named %r: fill in the real issuer's details there.",
                PLACEHOLDER_ISSUER,
            )
            self.rounding, self.snapshot = "down", None  # live details: see the docstring
            return
        self.id = row.id
        self.rounding = row.tax_rounding or "down"
        self.snapshot = json.dumps(
            {field: getattr(row, field) for field in FROZEN_FIELDS}, ensure_ascii=False
        )


class Numbers:
    """The document counters, moved as numbers are given (saved with ``save``)."""

    def __init__(self, bind):
        self.bind = bind
        self.last: dict[str, int] = {}

    def next(self, kind: str) -> str:
        if kind not in self.last:
            value = self.bind.execute(
                sa.select(counters.c.last_number).where(counters.c.kind == kind).with_for_update()
            ).scalar()
            if value is None:  # migration 0005 made one row per kind; be safe
                self.bind.execute(counters.insert().values(kind=kind, last_number=0))
                value = 0
            self.last[kind] = value
        self.last[kind] += 1
        return f"{PREFIXES[kind]}{self.last[kind]:06d}"

    def save(self) -> None:
        for kind, value in self.last.items():
            self.bind.execute(
                counters.update().where(counters.c.kind == kind).values(last_number=value)
            )


def _state(row) -> str:
    state = STATES.get(row.billing_status)
    if state is None:  # a status this migration does not know: judge by whether it got there
        state = "sent" if row.external_id else "approved"
    if row.kind != "invoice" and state == "paid":
        state = "sent"  # a quote has no payment states
    return state


def _lines(row, stored: list, places: int) -> list[dict]:
    """The lines of the deal as it invoices them (app/services/sync/lines.py)."""
    if not stored:
        amount = _round(row.deal_amount or 0, places, "half_up")
        return [
            {
                "position": 1,
                "product_id": None,
                "name": row.deal_title,
                "unit": None,
                "unit_price": amount,
                "quantity": Decimal(1),
                "discount_percent": Decimal(0),
                "tax_rate": "standard_10",
                "amount": amount,
            }
        ]
    return [
        {
            "position": position,
            "product_id": line.product_id,
            "name": line.name,
            "unit": line.unit,
            "unit_price": Decimal(line.unit_price),
            "quantity": Decimal(line.quantity),
            "discount_percent": Decimal(line.discount_percent or 0),
            "tax_rate": line.tax_rate or "standard_10",
            "amount": _line_amount(line.unit_price, line.quantity, line.discount_percent, places),
        }
        for position, line in enumerate(stored, start=1)
    ]


def _deal_lines(bind, deal_ids) -> dict[int, list]:
    found: dict[int, list] = defaultdict(list)
    query = (
        sa.select(deal_lines)
        .where(deal_lines.c.deal_id.in_(sorted(deal_ids)))
        .order_by(deal_lines.c.deal_id, deal_lines.c.position, deal_lines.c.id)
    )
    for line in bind.execute(query):
        found[line.deal_id].append(line)
    return found


def _import_batch(bind, rows, issuer: Issuer, numbers: Numbers, now: dt.datetime) -> None:
    """One document per row (ids come back in the rows' order), then its link, lines,
    payment and trail entry; the counters are saved with them."""
    stored_lines = _deal_lines(bind, {row.deal_id for row in rows})
    made = []  # (row, the document's values, its lines)
    for row in rows:
        currency = row.currency if row.currency in CURRENCIES else row.deal_currency
        places = get_currency_precision(currency)
        lines = _lines(row, stored_lines.get(row.deal_id, []), places)
        subtotal, tax, total = _totals(lines, places, issuer.rounding)
        state = _state(row)
        issue_date = row.issue_date or _tokyo_day(row.created_at)
        due_date = row.due_date if row.kind == "invoice" else None
        if due_date is not None and due_date < issue_date:
            due_date = issue_date  # the document rules refuse a due date before the issue
        reached = row.external_id is not None and state != "approved"
        document = {
            "kind": row.kind,
            "number": numbers.next(row.kind),
            "state": state,
            "legal_entity_id": issuer.id,
            "company_id": row.company_id,
            "contact_id": row.contact_id,
            "recipient_name": row.company_name,
            "recipient_email": row.contact_email or row.company_email,
            "deal_id": row.deal_id,
            "currency": currency,
            "language": "ja",
            "issue_date": issue_date,
            "transaction_date": issue_date,
            "due_date": due_date,
            "subtotal": subtotal,
            "tax": tax,
            "total": total,
            "sent_at": (row.last_pushed_at or row.created_at) if reached else None,
            "created_at": row.created_at or now,
            "updated_at": now,
            "tax_rounding": issuer.rounding,
            "issuer_snapshot": issuer.snapshot,
        }
        made.append((row, document, lines))
    ids = (
        bind.execute(
            documents.insert().returning(documents.c.id, sort_by_parameter_order=True),
            [document for _row, document, _lines in made],
        )
        .scalars()
        .all()
    )
    bind.execute(
        links.update()
        .where(links.c.id == sa.bindparam("link_id"))
        .values(document_id=sa.bindparam("new_document_id"), origin="imported"),
        [
            {"link_id": row.id, "new_document_id": id_}
            for id_, (row, _d, _l) in zip(ids, made, strict=True)
        ],
    )
    line_rows, payment_rows, audit_rows = [], [], []
    for document_id, (row, document, lines) in zip(ids, made, strict=True):
        line_rows.extend({**line, "document_id": document_id} for line in lines)
        if document["state"] == "paid" and document["total"] > 0:
            payment_rows.append(
                {
                    "document_id": document_id,
                    "paid_on": _tokyo_day(row.last_pulled_at) or document["issue_date"],
                    "amount": document["total"],
                    "method": "bank_transfer",
                    "reference": (row.number or row.external_id or "")[:100] or None,
                    "note": PAYMENT_NOTE,
                    "created_at": now,
                    "connection_id": row.connection_id,
                }
            )
        shown = row.number or row.external_id or f"(not created there; reference {row.reference})"
        audit_rows.append(
            {
                "at": now,
                "user_id": None,
                "username": "system",
                "document_id": document_id,
                "document_number": document["number"],
                "action": "imported",
                "note": NOTE.format(connection=row.connection_name, kind=row.kind, number=shown),
            }
        )
    for table, values in (
        (document_lines, line_rows),
        (payments, payment_rows),
        (audit, audit_rows),
    ):
        if values:
            bind.execute(table.insert(), values)
    numbers.save()


def _summarise(invoices, today: dt.date) -> str:
    found: set[str] = set()
    for state, due_date, states in invoices:
        if state == "void":
            found.add("void")
            continue
        status = BY_STATE.get(state, "draft")
        if state in ("sent", "partially_paid") and due_date and due_date < today:
            status = "overdue"
        found.add(status)
        for billing_status, deleted in states:
            if deleted or billing_status == "deleted":
                found.add("deleted")
            elif billing_status in ("pending", "failed"):
                found.add(billing_status)
    return next((status for status in PRIORITY if status in found), "none")


def _store_billing_status(bind, deal_ids, today: dt.date) -> None:
    """Recompute the deals' cached billing status from their invoices and links."""
    for chunk in _chunks(sorted(deal_ids)):
        invoices: dict[int, dict[int, tuple]] = defaultdict(dict)
        for row in bind.execute(
            sa.select(documents.c.id, documents.c.deal_id, documents.c.state, documents.c.due_date)
            .where(documents.c.deal_id.in_(chunk))
            .where(documents.c.kind == "invoice")
        ):
            invoices[row.deal_id][row.id] = (row.state, row.due_date, [])
        for row in bind.execute(
            sa.select(
                links.c.document_id,
                links.c.deal_id,
                links.c.billing_status,
                links.c.deleted_at_provider,
            )
            .where(links.c.deal_id.in_(chunk))
            .where(links.c.kind == "invoice")
        ):
            invoice = invoices[row.deal_id].get(row.document_id)
            if invoice is not None:
                invoice[2].append((row.billing_status, bool(row.deleted_at_provider)))
        for deal_id in chunk:
            status = _summarise(invoices[deal_id].values(), today)
            bind.execute(
                deals.update()
                .where(deals.c.id == deal_id)
                .where(deals.c.billing_status != status)
                .values(billing_status=status)
            )


def _pending_query(after: int):
    return (
        sa.select(
            links,
            connections.c.name.label("connection_name"),
            deals.c.title.label("deal_title"),
            deals.c.amount.label("deal_amount"),
            deals.c.currency.label("deal_currency"),
            deals.c.company_id,
            deals.c.contact_id,
            companies.c.name.label("company_name"),
            companies.c.email.label("company_email"),
            contacts.c.email.label("contact_email"),
        )
        .select_from(
            links.join(connections, connections.c.id == links.c.connection_id)
            .join(deals, deals.c.id == links.c.deal_id)
            .join(companies, companies.c.id == deals.c.company_id)
            .outerjoin(contacts, contacts.c.id == deals.c.contact_id)
        )
        .where(links.c.document_id.is_(None))
        .where(links.c.id > after)
        .order_by(links.c.id)
        .limit(BATCH)
    )


def _count_unlinked(bind) -> int:
    return bind.execute(
        sa.select(sa.func.count()).select_from(links).where(links.c.document_id.is_(None))
    ).scalar()


def upgrade():
    bind = op.get_bind()
    if not _count_unlinked(bind):
        return
    now = _utcnow()
    issuer = Issuer(bind, now)
    numbers = Numbers(bind)
    touched: set[int] = set()
    last_id, imported = 0, 0
    while True:
        rows = bind.execute(_pending_query(last_id)).all()
        if not rows:
            break
        _import_batch(bind, rows, issuer, numbers, now)
        touched.update(row.deal_id for row in rows)
        last_id, imported = rows[-1].id, imported + len(rows)
    _store_billing_status(bind, touched, _tokyo_day(now))
    log.info("0012_import: %d provider documents became Renkei documents.", imported)
    left = _count_unlinked(bind)
    if left:  # a row without its deal: nothing to make a document from
        log.warning(
            "0012_import: %d provider documents without a deal were left as they are.", left
        )


# -- downgrade -------------------------------------------------------------------------


def _restore_counters(bind, removed: dict[str, list[int]]) -> None:
    """Give the removed numbers back when they are still the last ones of their kind."""
    for kind, sequences in removed.items():
        last = bind.execute(
            sa.select(counters.c.last_number).where(counters.c.kind == kind)
        ).scalar()
        if last is not None and sorted(sequences) == list(
            range(last - len(sequences) + 1, last + 1)
        ):
            bind.execute(
                counters.update()
                .where(counters.c.kind == kind)
                .values(last_number=last - len(sequences))
            )


def downgrade():
    bind = op.get_bind()
    ids = sorted(
        {
            document_id
            for (document_id,) in bind.execute(
                sa.select(links.c.document_id)
                .where(links.c.origin == "imported")
                .where(links.c.document_id.isnot(None))
            )
        }
    )
    chosen = set(ids)
    now = _utcnow()
    removed: dict[str, list[int]] = defaultdict(list)
    for chunk in _chunks(ids):
        made_from = [
            row.number
            for row in bind.execute(
                sa.select(documents.c.id, documents.c.number).where(
                    documents.c.source_id.in_(chunk)
                )
            )
            if row.id not in chosen
        ]
        if made_from:
            raise RuntimeError(
                "0012_import cannot be undone: "
                f"{', '.join(str(n) for n in made_from)} were made from imported documents."
            )
    for chunk in _chunks(ids):
        rows = bind.execute(
            sa.select(documents.c.id, documents.c.kind, documents.c.number).where(
                documents.c.id.in_(chunk)
            )
        ).all()
        bind.execute(
            audit.insert(),
            [
                {
                    "at": now,
                    "user_id": None,
                    "username": "system",
                    "document_id": row.id,
                    "document_number": row.number,
                    "action": "delete",
                    "note": UNDONE_NOTE,
                }
                for row in rows
            ],
        )
        for row in rows:
            prefix = PREFIXES.get(row.kind, "")
            if row.number and row.number.startswith(prefix) and row.number[len(prefix) :].isdigit():
                removed[row.kind].append(int(row.number[len(prefix) :]))
        for name in DEPENDENTS:
            table = sa.table(name, sa.column("document_id"))
            bind.execute(table.delete().where(table.c.document_id.in_(chunk)))
        mismatch = sa.table("mismatch", sa.column("document_id"))
        bind.execute(
            mismatch.update().where(mismatch.c.document_id.in_(chunk)).values(document_id=None)
        )
        bind.execute(links.update().where(links.c.document_id.in_(chunk)).values(document_id=None))
        bind.execute(documents.delete().where(documents.c.id.in_(chunk)))
    bind.execute(links.update().where(links.c.origin == "imported").values(origin="issued"))
    _restore_counters(bind, removed)
    unused = ~sa.exists().where(documents.c.legal_entity_id == entities.c.id)
    bind.execute(entities.delete().where(entities.c.name == PLACEHOLDER_ISSUER).where(unused))
