"""Wholesale: orders → shipments (partial, backorders) → invoices for what shipped.

Locks, always in this order: the customer's ``BillingSetting`` row (when it has one),
then the order. A shipment is posted under the order's lock: each line ships at most
its backorder (``sales_order_line.shipped_quantity`` ≤ ``quantity`` is also a CHECK).
A shipment line is billed once: the invoice is written into ``shipment_line.document_id``
by ``UPDATE … WHERE document_id IS NULL`` under the lock, and a line another run billed
first makes the whole run roll back. Voiding an invoice releases its shipment lines
(``document_id`` cleared in the void's own flush, with a line in its trail) and its
closing run (``active`` false), so they are billed again by the next shipment invoice
or a new closing of that period.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.extensions import db
from app.models.choices import CURRENCIES, TAX_RATES
from app.models.crm import Company, Product
from app.models.documents import Document
from app.models.orders import (
    BillingSetting,
    ClosingRun,
    SalesOrder,
    SalesOrderLine,
    Shipment,
    ShipmentLine,
)
from app.services.actor import acting_as
from app.services.billing import closing
from app.services.documents import approvals, issuing
from app.services.documents.audit import record_event
from app.services.documents.lifecycle import today_tokyo
from app.services.errors import InvalidInput
from app.services.locking import lock
from app.services.money import QUANTITY_LIMIT, check_decimal

EARLIEST = dt.date(2000, 1, 1)
log = logging.getLogger(__name__)


def _rollback_on_error(func):
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except BaseException:
            db.session.rollback()
            raise

    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    return wrapper


def setting_of(company: Company) -> BillingSetting | None:
    """The customer's billing setting, or None (billed per shipment, default due dates)."""
    return db.session.query(BillingSetting).filter_by(company_id=company.id).one_or_none()


def _lock_customer(company: Company) -> BillingSetting | None:
    setting = setting_of(company)
    return lock(setting) if setting is not None else None


def _quantity(value, field: str) -> Decimal:
    quantity = check_decimal(value, field, _("The quantity"), places=4, limit=QUANTITY_LIMIT)
    if quantity <= 0:
        raise InvalidInput(_("A quantity must be more than 0."), field=field)
    return quantity


def _day(value, field: str, default: dt.date) -> dt.date:
    if value is None or value == "":
        return default
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date | str):
        raise InvalidInput(_("Give a date as YYYY-MM-DD."), field=field)
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value.strip())
        except ValueError:
            raise InvalidInput(_("Give a date as YYYY-MM-DD."), field=field) from None
    if value < EARLIEST or value > today_tokyo() + dt.timedelta(days=366):
        raise InvalidInput(
            _("The date must lie between 2000-01-01 and a year from today."), field=field
        )
    return value


def text(value, field: str, limit: int, *, one_line: bool = True) -> str | None:
    """``value`` as trimmed text of at most ``limit`` characters (None when empty);
    control characters are refused (one line: no CR/LF/tab either)."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput(_("Give text."), field=field)
    value = value.strip()
    allowed = "" if one_line else "\r\n\t"
    if any((ord(c) < 32 and c not in allowed) or ord(c) == 127 for c in value):
        raise InvalidInput(_("Control characters are not allowed here."), field=field)
    if len(value) > limit:
        raise InvalidInput(_("At most %(n)s characters.", n=limit), field=field)
    return value or None


def _order_line(data: dict, position: int) -> SalesOrderLine:
    if not isinstance(data, dict):
        raise InvalidInput(_("Each line must be an object."), field="lines")
    product = None
    if data.get("product_id") not in (None, ""):
        product_id = data["product_id"]
        if isinstance(product_id, bool) or not isinstance(product_id, int):
            raise InvalidInput(_("Give a product's id."), field="product_id")
        product = db.session.get(Product, product_id) if product_id < 2**63 else None
        if product is None:
            raise InvalidInput(_("No product %(id)s.", id=product_id), field="product_id")
    product = data.get("product") or product
    name = text(data.get("name"), "name", 200) or (product.name if product else None)
    if not name:
        raise InvalidInput(_("Each line needs a product or a name."), field="name")
    price = data.get("unit_price")
    if price is None and product is not None:
        price = product.unit_price
    unit_price = check_decimal(
        price if price is not None else "", "unit_price", _("The unit price"), places=4
    )
    if unit_price < 0:
        raise InvalidInput(_("A unit price cannot be negative."), field="unit_price")
    tax_rate = data.get("tax_rate") or (product.tax_rate if product else "standard_10")
    if not isinstance(tax_rate, str) or tax_rate not in TAX_RATES:
        raise InvalidInput(_("Unknown tax rate %(rate)s.", rate=tax_rate), field="tax_rate")
    quantity = _quantity(data.get("quantity"), "quantity")
    check_decimal(
        unit_price * quantity, "quantity", _("The line amount (price × quantity)"), places=8
    )
    return SalesOrderLine(
        position=position,
        product=product,
        name=name,
        unit=(product.unit if product else None),
        unit_price=unit_price,
        quantity=quantity,
        tax_rate=tax_rate,
        shipped_quantity=Decimal(0),
    )


def check_currency(company: Company, currency) -> None:
    """Refuse an unknown currency, or another than a monthly customer's."""
    if not isinstance(currency, str) or currency not in CURRENCIES:
        raise InvalidInput(_("Unknown currency %(code)s.", code=currency), field="currency")
    setting = setting_of(company) if company is not None else None
    if setting is not None and setting.mode == "monthly" and setting.currency != currency:
        raise InvalidInput(
            _(
                "%(company)s is billed by a monthly closing in %(currency)s: its orders "
                "must be in %(currency)s.",
                company=company.name,
                currency=setting.currency,
            ),
            field="currency",
        )


@_rollback_on_error
def create_order(
    company: Company,
    lines: list[dict],
    user=None,
    *,
    order_date=None,
    currency: str = "JPY",
    customer_reference: str | None = None,
    notes: str | None = None,
) -> SalesOrder:
    """A sales order with its lines (dicts: product_id or product, name, unit_price,
    quantity, tax_rate), committed."""
    check_currency(company, currency)
    if not isinstance(lines, list) or not lines:
        raise InvalidInput(_("An order needs at least one line."), field="lines")
    order = SalesOrder(
        company=company,
        order_date=_day(order_date, "order_date", today_tokyo()),
        currency=currency,
        customer_reference=text(customer_reference, "customer_reference", 100),
        notes=text(notes, "notes", 5000, one_line=False),
        created_by=user,
    )
    for position, data in enumerate(lines, start=1):
        order.lines.append(_order_line(data, position))
    with acting_as(user):
        db.session.add(order)
        db.session.flush()
        order.number = f"SO-{order.id:06d}"
        db.session.commit()
    return order


@_rollback_on_error
def add_line(order: SalesOrder, data: dict, user=None) -> SalesOrderLine:
    """Add a line to an order (more to ship), under the order's lock."""
    lock(order)
    line = _order_line(data, max((li.position for li in order.lines), default=0) + 1)
    order.lines.append(line)
    with acting_as(user):
        db.session.commit()
    return line


def _closed_run(company: Company, day: dt.date) -> ClosingRun | None:
    return (
        db.session.query(ClosingRun)
        .filter(
            ClosingRun.company_id == company.id,
            ClosingRun.active.is_(True),
            ClosingRun.period_start <= day,
            ClosingRun.period_end >= day,
        )
        .first()
    )


@dataclass
class Posted:
    shipment: Shipment
    invoice: Document | None


@_rollback_on_error
def post_shipment(
    order: SalesOrder, quantities: dict, user=None, *, shipped_on=None, note: str | None = None
) -> Posted:
    """Ship ``quantities`` ({order line id: quantity}) of ``order``; per-shipment
    customers get the shipment's invoice in the same transaction. Refused, with the
    numbers, when a line would ship more than its backorder."""
    setting = _lock_customer(order.company)
    lock(order)
    day = _day(shipped_on, "shipped_on", today_tokyo())
    if day > today_tokyo():
        raise InvalidInput(_("A shipment cannot be dated in the future."), field="shipped_on")
    if day < order.order_date:
        raise InvalidInput(_("A shipment cannot be dated before its order."), field="shipped_on")
    if not isinstance(quantities, dict):
        raise InvalidInput(_("Give a quantity per order line."), field="lines")
    by_id = {line.id: line for line in order.lines}
    wanted = []
    for key, value in quantities.items():
        try:
            line_id = int(key)
        except (TypeError, ValueError):
            raise InvalidInput(_("Unknown order line %(id)s.", id=key), field="lines") from None
        line = by_id.get(line_id)
        if line is None:
            raise InvalidInput(_("Unknown order line %(id)s.", id=key), field="lines")
        if value in (None, "", 0, "0"):
            continue
        quantity = _quantity(value, "quantity")
        db.session.refresh(line)
        if quantity > line.backorder:
            raise InvalidInput(
                _(
                    "%(line)s: only %(left)s left to ship (ordered %(ordered)s, shipped "
                    "%(shipped)s); this shipment asked for %(asked)s.",
                    line=line.name,
                    left=_num(line.backorder),
                    ordered=_num(line.quantity),
                    shipped=_num(line.shipped_quantity),
                    asked=_num(quantity),
                ),
                field="quantity",
            )
        wanted.append((line, quantity))
    if not wanted:
        raise InvalidInput(_("Ship at least one line."), field="lines")
    if setting is not None and setting.mode == "monthly":
        run = _closed_run(order.company, day)
        if run is not None:
            raise InvalidInput(
                _(
                    "%(company)s's period %(start)s – %(end)s is already closed: date the "
                    "shipment after %(end)s, or void that closing's invoice first.",
                    company=order.company.name,
                    start=run.period_start.isoformat(),
                    end=run.period_end.isoformat(),
                ),
                field="shipped_on",
            )
    count = db.session.query(sa.func.count(Shipment.id)).filter_by(order_id=order.id).scalar()
    with acting_as(user), db.session.no_autoflush:
        shipment = Shipment(
            order_id=order.id,
            company_id=order.company_id,
            number=f"{order.number}-{count + 1}",
            shipped_on=day,
            note=text(note, "note", 2000, one_line=False),
            created_by_id=getattr(user, "id", None),
        )
        db.session.add(shipment)
        for line, quantity in wanted:
            shipment.lines.append(ShipmentLine(order_line=line, quantity=quantity))
            line.shipped_quantity = Decimal(line.shipped_quantity) + quantity
    with acting_as(user):
        db.session.flush()
        db.session.expire(order, ["shipments"])
        invoice = None
        if setting is None or setting.mode == "per_shipment":
            invoice = _bill_shipment(shipment, setting, user)
        db.session.commit()
    return Posted(shipment, invoice)


def _num(value) -> str:
    text = format(Decimal(value).normalize(), "f")
    return text


@_rollback_on_error
def invoice_shipment(shipment: Shipment, user=None) -> Document:
    """Invoice a shipment's unbilled lines (a per-shipment customer's shipment whose
    invoice was voided)."""
    setting = _lock_customer(shipment.order.company)
    lock(shipment.order)
    if setting is not None and setting.mode == "monthly":
        raise InvalidInput(
            _("%(company)s is billed by a monthly closing.", company=shipment.company.name),
            field="mode",
        )
    with acting_as(user):
        invoice = _bill_shipment(shipment, setting, user)
        if invoice is None:
            raise InvalidInput(_("Every line of this shipment is billed already."), field="lines")
        db.session.commit()
    return invoice


def _bill_shipment(shipment: Shipment, setting: BillingSetting | None, user) -> Document | None:
    lines = _unbilled(sa.and_(ShipmentLine.shipment_id == shipment.id))
    if not lines:
        return None
    due = None
    if setting is not None:
        closes = closing.closing_date_on_or_after(shipment.shipped_on, setting.closing_day)
        due = closing.due_date(closes, setting.pay_months, setting.pay_day)
    return _bill(
        shipment.order.company,
        shipment.order.currency,
        lines,
        user,
        issue_date=max(shipment.shipped_on, today_tokyo()),
        transaction_date=shipment.shipped_on,
        due_date=due,
        why=_("Made from shipment %(number)s.", number=shipment.number),
    )


def _unbilled(condition) -> list[ShipmentLine]:
    return (
        db.session.query(ShipmentLine)
        .join(Shipment, Shipment.id == ShipmentLine.shipment_id)
        .filter(condition, ShipmentLine.document_id.is_(None))
        .order_by(Shipment.shipped_on, Shipment.id, ShipmentLine.id)
        .all()
    )


def _bill(company, currency, lines, user, *, issue_date, transaction_date, due_date, why):
    """One invoice for ``lines``, each line marked billed by it (or the run rolls back)."""
    document_lines = []
    for line in lines:
        ordered = line.order_line
        document_lines.append(
            {
                "product": ordered.product,
                "name": f"{ordered.name} ({line.shipment.number} "
                f"{line.shipment.shipped_on.isoformat()})"[:200],
                "unit": ordered.unit,
                "unit_price": ordered.unit_price,
                "quantity": line.quantity,
                "tax_rate": ordered.tax_rate,
            }
        )
    fields = {"issue_date": issue_date, "transaction_date": transaction_date}
    if due_date is not None:
        fields["due_date"] = max(due_date, issue_date)
    invoice = issuing.new_document(
        "invoice",
        company,
        user=user,
        lines=document_lines,
        commit=False,
        currency=currency,
        **fields,
    )
    table = ShipmentLine.__table__
    for line, document_line in zip(lines, invoice.lines, strict=True):
        marked = db.session.execute(
            table.update()
            .where(table.c.id == line.id, table.c.document_id.is_(None))
            .values(document_id=invoice.id, document_line_id=document_line.id),
            execution_options={"synchronize_session": False},
        ).rowcount
        if marked != 1:
            raise InvalidInput(
                _("A shipment line was billed by another run meanwhile: try again."),
                field="lines",
            )
    approvals.submit(invoice, user, commit=False)
    record_event(db.session, invoice, "order_billing", why)
    for line in lines:
        db.session.expire(line)
    return invoice


@dataclass
class Closed:
    run: ClosingRun
    created: bool


@_rollback_on_error
def close_period(
    company: Company, closing_date, user=None, *, today=None, by_job: bool = False
) -> Closed:
    """Close ``company``'s period ending on ``closing_date``: one invoice for every
    unbilled shipment line dated in it, due by the 支払サイト. Closing a period already
    closed (not voided) returns that closing."""
    today = today or today_tokyo()
    setting = _lock_customer(company)
    if setting is None or setting.mode != "monthly":
        raise InvalidInput(
            _("%(company)s is not billed by a monthly closing.", company=company.name),
            field="mode",
        )
    if isinstance(closing_date, dt.date) and not isinstance(closing_date, dt.datetime):
        end = closing_date  # from the scheduler or a test's clock
    else:
        end = _day(closing_date, "closing_date", today)
    if not closing.is_closing_date(end, setting.closing_day):
        raise InvalidInput(
            _(
                "%(day)s is not a closing date of %(company)s (closing day: %(closing)s).",
                day=end.isoformat(),
                company=company.name,
                closing=closing_day_label(setting.closing_day),
            ),
            field="closing_date",
        )
    if end >= today:
        raise InvalidInput(
            _(
                "The period ending %(day)s can be closed from the next day on.",
                day=end.isoformat(),
            ),
            field="closing_date",
        )
    existing = (
        db.session.query(ClosingRun)
        .filter_by(company_id=company.id, period_end=end, active=True)
        .one_or_none()
    )
    if existing is not None:
        db.session.rollback()
        return Closed(existing, False)
    start, end = closing.period(end, setting.closing_day)
    lines = _unbilled(
        sa.and_(
            Shipment.company_id == company.id,
            Shipment.shipped_on >= start,
            Shipment.shipped_on <= end,
        )
    )
    lines = [line for line in lines if line.shipment.order.currency == setting.currency]
    with acting_as(user):
        invoice = None
        if lines:
            invoice = _bill(
                company,
                setting.currency,
                lines,
                user,
                issue_date=max(end, today - dt.timedelta(days=366)),
                transaction_date=end,
                due_date=closing.due_date(end, setting.pay_months, setting.pay_day),
                why=(
                    _(
                        "Closing of %(start)s – %(end)s (%(n)s shipment lines), by the "
                        "daily closing job.",
                        start=start.isoformat(),
                        end=end.isoformat(),
                        n=len(lines),
                    )
                    if by_job
                    else _(
                        "Closing of %(start)s – %(end)s (%(n)s shipment lines).",
                        start=start.isoformat(),
                        end=end.isoformat(),
                        n=len(lines),
                    )
                ),
            )
        run = ClosingRun(
            company_id=company.id,
            period_start=start,
            period_end=end,
            document=invoice,
            active=True,
            run_by=user,
        )
        db.session.add(run)
        db.session.commit()
    return Closed(run, True)


def closing_day_label(day: int) -> str:
    """締め日 in words."""
    if day == closing.MONTH_END:
        return _("month end")
    return _("the %(day)sth", day=day)


def payment_terms_label(setting: BillingSetting) -> str:
    """支払サイト in words, e.g. "month end, paid 1 month(s) later at month end"."""
    pay = _("month end") if setting.pay_day >= 31 else _("on the %(day)sth", day=setting.pay_day)
    return _(
        "closing %(closing)s, paid %(months)s month(s) later %(pay)s",
        closing=closing_day_label(setting.closing_day),
        months=setting.pay_months,
        pay=pay,
    )


def daily_closing(now: dt.datetime | None = None) -> dict[str, int]:
    """The daily job: close every monthly customer whose closing day was yesterday in
    Tokyo (a second run the same day finds the closings made and changes nothing)."""
    from app.services.sync.clock import BUSINESS_TZ

    moment = now or dt.datetime.now(dt.UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    today = moment.astimezone(BUSINESS_TZ).date()
    yesterday = today - dt.timedelta(days=1)
    counts: dict[str, int] = {}
    settings = db.session.query(BillingSetting).filter_by(mode="monthly").all()
    due = [
        (s.company_id, s.company)
        for s in settings
        if closing.is_closing_date(yesterday, s.closing_day)
    ]
    for _company_id, company in due:
        try:
            closed = close_period(company, yesterday, today=today, by_job=True)
        except InvalidInput:
            outcome = "refused"
        except Exception:  # one customer's failure must not stop the others
            log.exception("closing of company %s failed", company.id)
            outcome = "failed"
        else:
            if not closed.created:
                outcome = "existing"
            else:
                outcome = "invoiced" if closed.run.document_id else "empty"
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


# -- voiding releases what the invoice billed ---------------------------------------


def _voided(session: Session) -> list[Document]:
    voided = []
    for obj in session.dirty:
        if isinstance(obj, Document) and obj.state == "void":
            history = sa.inspect(obj).attrs.state.history
            if history.has_changes() and "void" not in (history.deleted or ()):
                voided.append(obj)
    return voided


def _release_on_void(session: Session, _context) -> None:
    documents = _voided(session)
    if not documents:
        return
    ids = [d.id for d in documents]
    connection = session.connection()
    lines = ShipmentLine.__table__
    runs = ClosingRun.__table__
    released = dict(
        connection.execute(
            sa.select(lines.c.document_id, sa.func.count())
            .where(lines.c.document_id.in_(ids))
            .group_by(lines.c.document_id)
        ).all()
    )
    if not released:
        return
    connection.execute(
        lines.update()
        .where(lines.c.document_id.in_(ids))
        .values(document_id=None, document_line_id=None)
    )
    connection.execute(
        runs.update().where(runs.c.document_id.in_(ids), runs.c.active).values(active=False)
    )
    for document in documents:
        if document.id in released:
            record_event(
                session,
                document,
                "order_billing",
                _(
                    "Voided: its %(n)s shipment lines can be billed again.",
                    n=released[document.id],
                ),
            )


def install() -> None:
    """Release a voided invoice's shipment lines in the void's own flush (idempotent)."""
    if not event.contains(Session, "after_flush", _release_on_void):
        event.listen(Session, "after_flush", _release_on_void)


# -- what an order has shipped, billed and been paid ---------------------------------

ORDER_STATUSES = ("not_shipped", "unbilled", "billed", "partially_paid", "paid")


@dataclass
class Figures:
    billed: dict[int, Decimal]  # order line id → quantity on live invoices
    invoices: list[Document]  # the live invoices billing its shipments, oldest first
    balances: dict[int, Decimal]  # invoice id → open balance
    status: str  # one of ORDER_STATUSES


def figures(order: SalesOrder) -> Figures:
    """The order's billing in one reading: billed per line, its invoices and balances,
    and a status (nothing shipped; shipped and not all billed; billed; partly paid; paid)."""
    from app.services.documents import payments

    billed: dict[int, Decimal] = {}
    documents: dict[int, Document] = {}
    shipped_any = False
    unbilled = False
    rows = (
        db.session.query(ShipmentLine)
        .join(Shipment, Shipment.id == ShipmentLine.shipment_id)
        .filter(Shipment.order_id == order.id)
        .all()
    )
    for row in rows:
        shipped_any = True
        if row.document_id is None:
            unbilled = True
            continue
        billed[row.order_line_id] = billed.get(row.order_line_id, Decimal(0)) + row.quantity
        documents[row.document_id] = row.document
    invoices = sorted(documents.values(), key=lambda d: d.id)
    balances = payments.balances(db.session, invoices)
    if not shipped_any:
        status = "not_shipped"
    elif unbilled:
        status = "unbilled"
    elif all(balances.get(d.id, d.total) <= 0 for d in invoices):
        status = "paid"
    elif any(balances.get(d.id, d.total) < d.total for d in invoices):
        status = "partially_paid"
    else:
        status = "billed"
    return Figures(billed, invoices, balances, status)
