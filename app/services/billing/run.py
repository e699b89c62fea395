"""The daily billing run of subscriptions, and its preview (the same computation, no writes).

A period is billed on its first day, Tokyo's calendar day (a run at 15:00 UTC is already
the next day there), in advance; usage is billed in arrears on the invoice of the first
period that starts after it; pending prorated changes of earlier periods are adjustment
lines (positive net per period and tax rate) or a credit note on their period's invoice
(negative net). A run bills every period due and not billed yet, oldest first, each in
its own transaction:

  lock the subscription's row · period already in subscription_period? → "taken"
  invoice (issuing.new_document + approvals.submit) · usage rows and changes marked
  · subscription_period row (unique on subscription, period start) · commit

Two schedulers, a retry, a restart or N runs at once bill a period once: the row lock
serialises them, the unique constraint stops any path that skips it (IntegrityError →
"taken"). A failure rolls the period back whole; the next run bills it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models.crm import utcnow
from app.models.subscriptions import (
    Subscription,
    SubscriptionChange,
    SubscriptionPeriod,
    SubscriptionUsage,
)
from app.services.actor import acting_as
from app.services.billing import periods
from app.services.billing.subscriptions import billed_period, values_at
from app.services.locking import lock_by_id
from app.services.sync.clock import business_today

log = logging.getLogger(__name__)
# The launcher (app.services.launchers) of jobs.billing.bill_subscriptions_now_job.
BILL_NOW_JOB = "bill_subscriptions_now"


class SubscriptionActor:
    """Who the trail names for a generated document: the subscription, for a person."""

    def __init__(self, subscription: Subscription, user=None):
        self.id = getattr(user, "id", None)
        person = getattr(user, "username", None) or "scheduler"
        self.username = f"subscription #{subscription.id} {subscription.name} / {person}"[:100]


@dataclass
class Composition:
    """What one period's invoice holds, and why (the preview shows it; the run makes it)."""

    subscription: Subscription
    period: periods.Period
    lines: list[dict] = field(default_factory=list)
    usage_ids: list[int] = field(default_factory=list)
    change_ids: list[int] = field(default_factory=list)  # settled on this invoice
    credits: dict = field(default_factory=dict)  # period start → [(rate, amount, ids)]
    why: list[str] = field(default_factory=list)

    @property
    def net(self) -> Decimal:
        return sum(
            (Decimal(line["unit_price"]) * Decimal(line["quantity"]) for line in self.lines),
            Decimal(0),
        )


def _span(start: dt.date, end: dt.date) -> str:
    return f"{start.isoformat()}–{end.isoformat()}"


def pending_groups(subscription_id: int, before: dt.date | None = None, period_start=None):
    """Unsettled changes grouped by (period start, tax rate): [(key, net, ids)]."""
    query = db.session.query(SubscriptionChange).filter(
        SubscriptionChange.subscription_id == subscription_id,
        SubscriptionChange.settled_at.is_(None),
    )
    if before is not None:
        query = query.filter(SubscriptionChange.period_start < before)
    if period_start is not None:
        query = query.filter(SubscriptionChange.period_start == period_start)
    groups: dict = defaultdict(lambda: [Decimal(0), [], None])
    for change in query.order_by(SubscriptionChange.id):
        group = groups[(change.period_start, change.tax_rate)]
        group[0] += Decimal(change.amount)
        group[1].append(change.id)
        group[2] = change.period_end
    return [(key, net, ids, end) for key, (net, ids, end) in sorted(groups.items())]


def compose(subscription: Subscription, period: periods.Period) -> Composition:
    """The invoice of ``period``: the plan lines in effect on its first day (billed in
    advance), usage before it (in arrears), prorated changes of earlier periods."""
    found = Composition(subscription, period)
    if period.final:
        found.why.append(
            _(
                "The subscription ended on %(day)s: what it still owes in arrears is billed "
                "once more.",
                day=period.start.isoformat(),
            )
        )
    else:
        found.why.append(
            _(
                "Period %(span)s (%(n)s days) starts on %(day)s: billed in advance.",
                span=_span(period.start, period.end),
                n=period.days,
                day=period.start.isoformat(),
            )
        )
    for line in [] if period.final else subscription.lines:
        price, quantity = values_at(line, period.start)
        if price is None:
            continue
        found.lines.append(
            {
                "product": line.product,
                "name": f"{line.name} ({_span(period.start, period.end)})"[:200],
                "unit_price": price,
                "quantity": quantity,
                "tax_rate": line.tax_rate,
            }
        )
    usage = (
        db.session.query(SubscriptionUsage)
        .filter(
            SubscriptionUsage.subscription_id == subscription.id,
            SubscriptionUsage.document_id.is_(None),
            SubscriptionUsage.used_on < period.start,
        )
        .order_by(SubscriptionUsage.used_on, SubscriptionUsage.id)
        .all()
    )
    grouped: dict = defaultdict(lambda: [Decimal(0), None, None])
    for row in usage:
        key = (row.metric, Decimal(row.unit_price), row.tax_rate)
        entry = grouped[key]
        entry[0] += Decimal(row.quantity)
        entry[1] = min(entry[1] or row.used_on, row.used_on)
        entry[2] = max(entry[2] or row.used_on, row.used_on)
        found.usage_ids.append(row.id)
    for (metric, price, rate), (quantity, first, last) in grouped.items():
        found.lines.append(
            {
                "name": _("Usage: %(metric)s (%(span)s)", metric=metric, span=_span(first, last))[
                    :200
                ],
                "unit_price": price,
                "quantity": quantity,
                "tax_rate": rate,
            }
        )
    if usage:
        found.why.append(
            _(
                "%(n)s usage rows before %(day)s: billed in arrears.",
                n=len(usage),
                day=period.start.isoformat(),
            )
        )
    for (start, rate), net, ids, end in pending_groups(subscription.id, before=period.start):
        if net > 0:
            found.lines.append(
                {
                    "name": _("Prorated changes (%(span)s)", span=_span(start, end))[:200],
                    "unit_price": net,
                    "quantity": Decimal(1),
                    "tax_rate": rate,
                }
            )
            found.change_ids += ids
        else:
            found.credits.setdefault(start, []).append((rate, net, ids, end))
    if found.change_ids:
        found.why.append(_("Prorated changes of earlier periods are added as adjustments."))
    if found.credits:
        found.why.append(_("Reductions of earlier periods are credited by a credit note."))
    return found


def due_periods(subscription: Subscription, today: dt.date, billed: set) -> list:
    """The periods of ``subscription`` starting on or before ``today`` not billed yet, and
    not after its end (cancelled) or its agreed term (renewal by decision)."""
    due = []
    for period in periods.periods_starting(subscription.start_date, subscription.interval, today):
        if subscription.ends_on is not None and period.start >= subscription.ends_on:
            break
        if subscription.renewed_until is not None and period.start >= subscription.renewed_until:
            break
        if period.start not in billed:
            due.append(period)
    end = subscription.ends_on
    if end is not None and end <= today and end not in billed and _owed_after(subscription, end):
        # Cancelled: one closing on the end day bills the usage and changes of the last
        # period (in arrears), once like any period (its start is the end day).
        due.append(periods.Period(-1, end, end, final=True))
    return due


def _owed_after(subscription: Subscription, end: dt.date) -> bool:
    """Whether a cancelled subscription still has unbilled usage or unsettled changes
    from before its end (what its closing bills)."""
    usage = db.session.query(SubscriptionUsage.id).filter(
        SubscriptionUsage.subscription_id == subscription.id,
        SubscriptionUsage.document_id.is_(None),
        SubscriptionUsage.used_on < end,
    )
    changes = db.session.query(SubscriptionChange.id).filter(
        SubscriptionChange.subscription_id == subscription.id,
        SubscriptionChange.settled_at.is_(None),
        SubscriptionChange.period_start < end,
    )
    return db.session.query(usage.exists()).scalar() or db.session.query(changes.exists()).scalar()


def _billed(subscription_ids) -> dict:
    billed = defaultdict(set)
    for sid, start in db.session.query(
        SubscriptionPeriod.subscription_id, SubscriptionPeriod.period_start
    ).filter(SubscriptionPeriod.subscription_id.in_(list(subscription_ids))):
        billed[sid].add(start)
    return billed


def plan(today: dt.date) -> list[Composition]:
    """Every period the run on ``today`` would invoice, with its lines and why; no writes."""
    subscriptions = db.session.query(Subscription).order_by(Subscription.id).all()
    billed = _billed(s.id for s in subscriptions)
    return [
        compose(subscription, period)
        for subscription in subscriptions
        for period in due_periods(subscription, today, billed[subscription.id])
    ]


def next_billing(subscription: Subscription, today: dt.date) -> dt.date | None:
    """The first day after ``today`` a period of ``subscription`` is billed, if any."""
    following = periods.period_containing(
        subscription.start_date, subscription.interval, max(today, subscription.start_date)
    ).next_start
    if subscription.start_date > today:
        following = subscription.start_date
    for limit in (subscription.ends_on, subscription.renewed_until):
        if limit is not None and following >= limit:
            return None
    return following


def _new_document(kind, subscription, lines, today, **fields):
    from app.services.documents import issuing

    return issuing.new_document(
        kind,
        subscription.company,
        lines=[{k: v for k, v in line.items() if v is not None} for line in lines],
        commit=False,
        legal_entity=fields.pop("legal_entity", None) or subscription.legal_entity,
        currency=subscription.currency,
        deal=subscription.deal,
        issue_date=today,
        **fields,
    )


def _submit(document, user, subscription, note) -> None:
    from app.services.documents import approvals
    from app.services.documents.audit import record_event

    approvals.submit(document, user, commit=False)
    record_event(db.session, document, "subscription", note)


def credit_pending(
    subscription: Subscription, period_start: dt.date, user=None, today: dt.date | None = None
) -> None:
    """Credit the negative pending changes of ``period_start`` on its invoice (inside
    the caller's transaction, the subscription already locked)."""
    groups = [g for g in pending_groups(subscription.id, period_start=period_start) if g[1] < 0]
    flat = [(rate, net, ids, end) for (_start, rate), net, ids, end in groups]
    _credit(subscription, period_start, flat, user, today or business_today())


def _credit(subscription, period_start, groups, user, today) -> None:
    if not groups:
        return
    row = billed_period(subscription.id, period_start)
    invoice = row.document if row is not None else None
    ids = [i for _rate, _net, group_ids, _end in groups for i in group_ids]
    note = None
    if invoice is not None and invoice.state != "void":
        end = groups[0][3]
        lines = [
            {
                "name": _("Prorated credit (%(span)s)", span=_span(period_start, end)),
                "unit_price": -net,
                "quantity": Decimal(1),
                "tax_rate": rate,
            }
            for rate, net, _ids, _end in groups
        ]
        with acting_as(SubscriptionActor(subscription, user)):
            note = _new_document(
                "credit_note",
                subscription,
                lines,
                today,
                source=invoice,
                legal_entity=invoice.legal_entity,
                language=invoice.language,
                notes=_("Credit for %(n)s", n=invoice.number),
            )
            _submit(
                note,
                user,
                subscription,
                _(
                    "Credit note of subscription %(name)s for %(span)s.",
                    name=subscription.name,
                    span=_span(period_start, end),
                ),
            )
    db.session.query(SubscriptionChange).filter(SubscriptionChange.id.in_(ids)).update(
        {"settled_at": utcnow(), "document_id": note.id if note else None},
        synchronize_session=False,
    )


def bill_period(subscription_id: int, period: periods.Period, today: dt.date, user=None) -> str:
    """Invoice one period, once: "billed", "taken" (another run did) or "ended"."""
    try:
        subscription = lock_by_id(Subscription, subscription_id)
        if subscription is None:
            db.session.rollback()
            return "ended"
        if billed_period(subscription_id, period.start) is not None:
            db.session.commit()
            return "taken"
        if period not in due_periods(subscription, today, set()):
            db.session.commit()
            return "ended"
        found = compose(subscription, period)
        document = None
        if found.lines:
            with acting_as(SubscriptionActor(subscription, user)):
                document = _new_document(
                    "invoice",
                    subscription,
                    found.lines,
                    today,
                    transaction_date=period.start,
                    notes=_(
                        "Subscription %(name)s, closing after its end on %(day)s.",
                        name=subscription.name,
                        day=period.start.isoformat(),
                    )
                    if period.final
                    else _(
                        "Subscription %(name)s, period %(span)s.",
                        name=subscription.name,
                        span=_span(period.start, period.end),
                    ),
                )
                _submit(
                    document,
                    user,
                    subscription,
                    _(
                        "Invoice of subscription %(name)s for %(span)s, made by the billing "
                        "run of %(day)s.",
                        name=subscription.name,
                        span=_span(period.start, period.end),
                        day=today.isoformat(),
                    ),
                )
        if found.usage_ids:
            db.session.query(SubscriptionUsage).filter(
                SubscriptionUsage.id.in_(found.usage_ids)
            ).update({"document_id": document.id}, synchronize_session=False)
        if found.change_ids:
            db.session.query(SubscriptionChange).filter(
                SubscriptionChange.id.in_(found.change_ids)
            ).update(
                {"settled_at": utcnow(), "document_id": document.id}, synchronize_session=False
            )
        db.session.add(
            SubscriptionPeriod(
                subscription_id=subscription_id,
                period_start=period.start,
                period_end=period.end,
                document=document,
                billed_on=today,
            )
        )
        db.session.flush()
        for start, groups in found.credits.items():
            _credit(subscription, start, groups, user, today)
        db.session.commit()
        return "billed"
    except IntegrityError:
        db.session.rollback()
        return "taken"
    except BaseException:
        db.session.rollback()
        raise


def run(now: dt.datetime | None = None, user=None, today: dt.date | None = None) -> dict:
    """Bill every period due on Tokyo's today; counts by outcome. Safe to run at once
    with itself, again after a failure or a restart: each period is billed once."""
    today = today or business_today(now)
    counts: dict[str, int] = {}
    ids = [sid for (sid,) in db.session.query(Subscription.id).order_by(Subscription.id)]
    for subscription_id in ids:
        subscription = db.session.get(Subscription, subscription_id)
        billed = _billed([subscription_id])[subscription_id]
        for period in due_periods(subscription, today, billed):
            try:
                outcome = bill_period(subscription_id, period, today, user)
            except Exception:  # this subscription waits for the next run; others go on
                log.exception(
                    "billing subscription %s for %s failed", subscription_id, period.start
                )
                outcome = "failed"
            counts[outcome] = counts.get(outcome, 0) + 1
            if outcome == "failed":
                break  # periods are billed in order
            subscription = db.session.get(Subscription, subscription_id)
    db.session.commit()
    return counts
