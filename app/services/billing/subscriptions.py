"""Subscriptions' verbs: create, change a line's price or quantity, add a line, cancel
(at period end or at once), renew (renewal by decision).

Every verb locks the subscription's row first (``locking.lock``), the same lock the
billing run takes per period, so a change and a run never interleave: the change is
either before the period's invoice (and the invoice bills the new values from the
period's start) or after it (and a prorated change is recorded, see ``proration``).

A change is effective on a day d, today (Tokyo) or later. It makes a SubscriptionChange
with ``proration.prorate`` of the line's amount per period, unless it falls on the first
day of a period that is not invoiced yet (that invoice bills the new values in full).
A positive change is billed on the next period's invoice as an adjustment line; a
negative one is credited by a credit note on the invoice of its period, at once when
that period is invoiced (``settle_now``), else by the run that invoices it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask_babel import gettext as _

from app.extensions import db
from app.models.choices import CURRENCIES, TAX_RATES
from app.models.crm import Company, utcnow
from app.models.subscriptions import (
    INTERVALS,
    RENEWALS,
    Subscription,
    SubscriptionChange,
    SubscriptionLine,
    SubscriptionPeriod,
)
from app.services.billing import periods, proration
from app.services.errors import InvalidInput
from app.services.locking import lock
from app.services.money import check_decimal
from app.services.sync.clock import business_today

WRITE_RIGHT = ("can_write", "Subscription")


def rounding_of(subscription: Subscription) -> str:
    """The issuer's tax rounding (the subscription's legal entity, else the first one)."""
    from app.services.documents.issuing import default_legal_entity

    entity = subscription.legal_entity or default_legal_entity()
    return entity.tax_rounding or "down"


EARLIEST, LATEST = dt.date(2000, 1, 1), dt.date(2100, 12, 31)


def check_day(day: dt.date, field: str) -> None:
    """Billing dates lie between 2000-01-01 and 2100-12-31."""
    if not EARLIEST <= day <= LATEST:
        raise InvalidInput(
            _(
                "The date must be between %(first)s and %(last)s.",
                first=EARLIEST.isoformat(),
                last=LATEST.isoformat(),
            ),
            field,
        )


def _check_line(values: dict, index: int | None = None) -> dict:
    where = f"lines.{index}." if index is not None else ""
    name = values.get("name") or ""
    if not isinstance(name, str):
        raise InvalidInput(_("A plan line needs a name (at most 200 characters)."), f"{where}name")
    name = name.strip()
    product = values.get("product")
    if not name and product is not None:
        name = product.name
    if not name or len(name) > 200:
        raise InvalidInput(_("A plan line needs a name (at most 200 characters)."), f"{where}name")
    price = values.get("unit_price")
    price = check_decimal("" if price is None else price, f"{where}unit_price", _("Unit price"))
    quantity = values.get("quantity")
    quantity = check_decimal(
        "1" if quantity is None or quantity == "" else quantity, f"{where}quantity", _("Quantity")
    )
    if price < 0:
        raise InvalidInput(_("A unit price is zero or more."), f"{where}unit_price")
    if quantity <= 0:
        raise InvalidInput(_("A quantity is more than zero."), f"{where}quantity")
    rate = values.get("tax_rate") or "standard_10"
    if not isinstance(rate, str) or rate not in TAX_RATES:
        raise InvalidInput(_("Unknown tax rate %(code)s.", code=rate), f"{where}tax_rate")
    return {"name": name, "unit_price": price, "quantity": quantity, "tax_rate": rate}


def create(company: Company, lines: list[dict], *, user=None, commit=True, **fields):
    """A subscription of ``company`` with its plan lines (dicts: name, unit_price,
    quantity, tax_rate, product), checked in words per field."""
    if company is None:
        raise InvalidInput(_("Choose the customer."), "company_id")
    interval = fields.get("interval") or "monthly"
    if not isinstance(interval, str) or interval not in INTERVALS:
        raise InvalidInput(_("The interval is monthly or annual."), "interval")
    renewal = fields.get("renewal") or "automatic"
    if not isinstance(renewal, str) or renewal not in RENEWALS:
        raise InvalidInput(_("Renewal is automatic or by decision."), "renewal")
    currency = fields.get("currency") or "JPY"
    if not isinstance(currency, str) or currency not in CURRENCIES:
        raise InvalidInput(_("Unknown currency %(code)s.", code=currency), "currency")
    start = fields.get("start_date")
    if not isinstance(start, dt.date):
        raise InvalidInput(_("Give the start date (YYYY-MM-DD)."), "start_date")
    check_day(start, "start_date")
    notice = fields.get("notice_days", 30)
    term = fields.get("term_months", 12)
    for name, value, low, high in (("notice_days", notice, 0, 365), ("term_months", term, 1, 120)):
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise InvalidInput(
                _(
                    "%(field)s is a whole number from %(low)s to %(high)s.",
                    field=name,
                    low=low,
                    high=high,
                ),
                name,
            )
    if not lines:
        raise InvalidInput(_("Add at least one plan line."), "lines")
    checked = [_check_line(line, i) for i, line in enumerate(lines)]
    subscription = Subscription(
        name=(fields.get("name") or "").strip()[:200] or company.name,
        company=company,
        legal_entity=fields.get("legal_entity"),
        deal=fields.get("deal"),
        currency=currency,
        interval=interval,
        start_date=start,
        renewal=renewal,
        notice_days=notice,
        term_months=term,
        renewed_until=periods.add_months(start, term) if renewal == "decision" else None,
        created_by=user,
    )
    for position, (values, raw) in enumerate(zip(checked, lines, strict=True), start=1):
        subscription.lines.append(
            SubscriptionLine(position=position, product=raw.get("product"), **values)
        )
    db.session.add(subscription)
    if commit:
        db.session.commit()
    else:
        db.session.flush()
    return subscription


def billed_period(subscription_id: int, start: dt.date) -> SubscriptionPeriod | None:
    return (
        db.session.query(SubscriptionPeriod)
        .filter_by(subscription_id=subscription_id, period_start=start)
        .one_or_none()
    )


def _effective(subscription: Subscription, effective: dt.date | None, today: dt.date) -> dt.date:
    effective = effective or today
    if effective < today:
        raise InvalidInput(
            _("A change takes effect today or later, never in the past."), "effective_on"
        )
    if effective < subscription.start_date:
        raise InvalidInput(_("A change takes effect on or after the start date."), "effective_on")
    if subscription.ends_on is not None and effective >= subscription.ends_on:
        raise InvalidInput(_("The subscription has ended by then."), "effective_on")
    return effective


def _changes_after(line: SubscriptionLine, day: dt.date) -> list[SubscriptionChange]:
    return (
        db.session.query(SubscriptionChange)
        .filter(
            SubscriptionChange.line_id == line.id,
            SubscriptionChange.effective_on > day,
            SubscriptionChange.kind != "cancel",
        )
        .all()
    )


def _record(subscription, period, effective, kind, name, rate, old, new, user, undo=0, **values):
    """A prorated change of ``old`` → ``new`` (amounts per period); on the first day of a
    period not invoiced yet it is kept for the history only (amount 0, settled: that
    invoice bills the new values) and None is returned."""
    in_full = effective == period.start and billed_period(subscription.id, period.start) is None
    amount = (
        Decimal(0)
        if in_full
        else proration.prorate(
            old, new, period, effective, subscription.currency, rounding_of(subscription)
        )
        - Decimal(undo)
    )
    change = SubscriptionChange(
        subscription=subscription,
        kind=kind,
        name=name[:200],
        tax_rate=rate,
        effective_on=effective,
        period_start=period.start,
        period_end=period.end,
        amount=amount,
        created_by=user,
        settled_at=utcnow() if in_full else None,
        **values,
    )
    db.session.add(change)
    db.session.flush()
    return None if in_full else change


def change_line(
    line: SubscriptionLine,
    *,
    user=None,
    unit_price=None,
    quantity=None,
    effective_on: dt.date | None = None,
    today: dt.date | None = None,
):
    """Change a plan line's price and/or quantity from ``effective_on`` (prorated), in one
    transaction under the subscription's lock; the change (None: billed in full)."""
    subscription = lock(line.subscription)
    try:
        db.session.refresh(line)
        today = today or business_today()
        effective = _effective(subscription, effective_on, today)
        latest = (
            db.session.query(SubscriptionChange.effective_on)
            .filter_by(line_id=line.id)
            .order_by(SubscriptionChange.effective_on.desc())
            .first()
        )
        if latest is not None and latest[0] > effective:
            raise InvalidInput(
                _(
                    "A later change of this line exists: change it after %(day)s.",
                    day=latest[0].isoformat(),
                ),
                "effective_on",
            )
        new = _check_line(
            {
                "name": line.name,
                "unit_price": line.unit_price if unit_price in (None, "") else unit_price,
                "quantity": line.quantity if quantity in (None, "") else quantity,
                "tax_rate": line.tax_rate,
            }
        )
        old_price, old_qty = Decimal(line.unit_price), Decimal(line.quantity)
        if (new["unit_price"], new["quantity"]) == (old_price, old_qty):
            raise InvalidInput(_("Nothing changes: give a new price or quantity."), "unit_price")
        period = periods.period_containing(
            subscription.start_date, subscription.interval, effective
        )
        kind = "price" if new["unit_price"] != old_price else "quantity"
        change = _record(
            subscription,
            period,
            effective,
            kind,
            line.name,
            line.tax_rate,
            old_price * old_qty,
            new["unit_price"] * new["quantity"],
            user,
            line=line,
            old_unit_price=old_price,
            new_unit_price=new["unit_price"],
            old_quantity=old_qty,
            new_quantity=new["quantity"],
        )
        line.unit_price, line.quantity = new["unit_price"], new["quantity"]
        if change is not None:
            settle_now(subscription, change.period_start, user)
        db.session.commit()
        return change
    except BaseException:
        db.session.rollback()
        raise


def add_line(
    subscription: Subscription,
    values: dict,
    *,
    user=None,
    effective_on: dt.date | None = None,
    today: dt.date | None = None,
):
    """A new plan line billed from ``effective_on`` (its first period prorated)."""
    subscription = lock(subscription)
    try:
        today = today or business_today()
        effective = _effective(subscription, effective_on, today)
        checked = _check_line(values)
        line = SubscriptionLine(
            subscription=subscription,
            product=values.get("product"),
            position=len(subscription.lines) + 1,
            starts_on=effective,
            **checked,
        )
        db.session.add(line)
        db.session.flush()
        period = periods.period_containing(
            subscription.start_date, subscription.interval, effective
        )
        change = _record(
            subscription,
            period,
            effective,
            "line",
            line.name,
            line.tax_rate,
            Decimal(0),
            checked["unit_price"] * checked["quantity"],
            user,
            line=line,
            new_unit_price=checked["unit_price"],
            new_quantity=checked["quantity"],
        )
        db.session.commit()
        return line, change
    except BaseException:
        db.session.rollback()
        raise


def cancel(subscription: Subscription, *, at_once: bool, user=None, today: dt.date | None = None):
    """Cancel: at the end of the period (respecting the notice period: the first period
    end at least ``notice_days`` away) — nothing more is invoiced; or at once today —
    the unused days of the current period, from today to its end, are credited: the
    value in effect today × remaining_days / N, and what changes dated after today in
    this period added (they never take effect; those of later periods are dropped)."""
    subscription = lock(subscription)
    try:
        today = today or business_today()
        if subscription.ends_on is not None and subscription.ends_on <= today:
            raise InvalidInput(_("This subscription has already ended."), "ends_on")
        start, interval = subscription.start_date, subscription.interval
        if at_once:
            ends = max(today, start)
            period = periods.period_containing(start, interval, ends)
            for line in subscription.lines:
                later = _changes_after(line, ends)
                value = _value_at(line, ends)
                undo = sum(
                    (Decimal(c.amount) for c in later if c.period_start == period.start),
                    Decimal(0),
                )
                if value or undo:
                    _record(
                        subscription,
                        period,
                        ends,
                        "cancel",
                        line.name,
                        line.tax_rate,
                        value,
                        Decimal(0),
                        user,
                        undo=undo,
                        line=line,
                    )
                for change in later:  # changes after the end never take effect
                    if change.settled_at is None and change.period_start > period.start:
                        change.settled_at = utcnow()
            settle_now(subscription, period.start, user)
        else:
            ends = periods.period_containing(start, interval, max(today, start)).next_start
            index = periods.period_containing(start, interval, max(today, start)).index + 1
            while (ends - today).days < subscription.notice_days:
                index += 1
                ends = periods.start_of(start, interval, index)
        if subscription.ends_on is None or ends < subscription.ends_on:
            subscription.ends_on = ends
        subscription.cancelled_on = today
        db.session.commit()
        return subscription
    except BaseException:
        db.session.rollback()
        raise


def renew(subscription: Subscription, *, user=None):
    """Renewal by decision: extend the agreed term by ``term_months``."""
    subscription = lock(subscription)
    try:
        if subscription.renewal != "decision":
            raise InvalidInput(_("This subscription renews by itself."), "renewal")
        if subscription.ends_on is not None:
            raise InvalidInput(_("A cancelled subscription is not renewed."), "ends_on")
        base = subscription.renewed_until or subscription.start_date
        subscription.renewed_until = periods.add_months(base, subscription.term_months)
        db.session.commit()
        return subscription
    except BaseException:
        db.session.rollback()
        raise


def decision_due(subscription: Subscription) -> dt.date | None:
    """The last day to decide on renewal (the term's end less the notice period)."""
    if subscription.renewal != "decision" or subscription.renewed_until is None:
        return None
    return subscription.renewed_until - dt.timedelta(days=subscription.notice_days)


def _value_at(line: SubscriptionLine, day: dt.date) -> Decimal:
    price, quantity = values_at(line, day)
    return price * quantity if price is not None else Decimal(0)


def values_at(line: SubscriptionLine, day: dt.date):
    """(unit price, quantity) of ``line`` in effect on ``day`` (None, None before it
    started): its values now, unless a change takes effect after ``day``."""
    if line.starts_on is not None and line.starts_on > day:
        return None, None
    later = (
        db.session.query(SubscriptionChange)
        .filter(
            SubscriptionChange.line_id == line.id,
            SubscriptionChange.kind.in_(("price", "quantity")),
            SubscriptionChange.effective_on > day,
        )
        .order_by(SubscriptionChange.effective_on, SubscriptionChange.id)
        .first()
    )
    if later is not None:
        return Decimal(later.old_unit_price), Decimal(later.old_quantity)
    return Decimal(line.unit_price), Decimal(line.quantity)


def settle_now(subscription: Subscription, period_start: dt.date, user=None) -> None:
    """When ``period_start``'s period is invoiced, credit its pending changes whose net
    (per tax rate) is negative by a credit note on that invoice (a positive net waits
    for the next period's invoice)."""
    from app.services.billing.run import credit_pending

    if billed_period(subscription.id, period_start) is not None:
        credit_pending(subscription, period_start, user)
