"""Deal rules kept on every flush: line amounts, derived deal amount, probability."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from app.models.choices import DEAL_STAGES, TAX_RATES
from app.models.crm import Deal, DealLine
from app.services.errors import InvalidInput
from app.services.money import line_amount, round_money


def fill_line(line: DealLine) -> None:
    """Complete a line from its product and compute its net amount."""
    product = line.product
    if product is not None:
        line.name = line.name or product.name
        line.unit = line.unit or product.unit
        if line.unit_price is None:
            line.unit_price = product.unit_price
        line.tax_rate = line.tax_rate or product.tax_rate
    check_line(line)
    currency = line.deal.currency if line.deal is not None else "JPY"
    line.amount = line_amount(line.unit_price, line.quantity, line.discount_percent or 0, currency)


def check_line(line: DealLine) -> None:
    """Refuse a line that breaks a rule, naming the field."""
    if not line.name:
        raise InvalidInput(_("A line needs a product or an item name."), field="name")
    if line.unit_price is None or Decimal(line.unit_price) < 0:
        raise InvalidInput(_("The unit price cannot be negative."), field="unit_price")
    if line.quantity is None or Decimal(line.quantity) <= 0:
        raise InvalidInput(_("The quantity must be greater than zero."), field="quantity")
    discount = Decimal(line.discount_percent or 0)
    if discount < 0 or discount > 100:
        raise InvalidInput(
            _("The discount is a percentage from 0 to 100."), field="discount_percent"
        )
    if line.tax_rate not in TAX_RATES:
        raise InvalidInput(
            _("Unknown tax rate %(rate)s: use 10%%, 8%% (reduced) or exempt.", rate=line.tax_rate),
            field="tax_rate",
        )


def recompute_deal(deal: Deal, deleted: set) -> None:
    """Derive the deal's amount from its live lines and its probability from its stage."""
    if deal.stage not in DEAL_STAGES:
        raise InvalidInput(_("Unknown deal stage %(stage)s.", stage=deal.stage), field="stage")
    live = [line for line in deal.lines if line not in deleted]
    for line in live:
        fill_line(line)  # again: the deal's currency decides the rounding
    if live:
        deal.amount = round_money(sum((line.amount for line in live), Decimal(0)), deal.currency)
    elif deal.amount is None:
        deal.amount = Decimal(0)
    if Decimal(deal.amount) < 0:
        raise InvalidInput(_("The contract amount cannot be negative."), field="amount")
    stage_changed = inspect(deal).attrs.stage.history.has_changes()
    probability_set = inspect(deal).attrs.probability.history.has_changes()
    if deal.probability is None or (stage_changed and not probability_set):
        deal.probability = DEAL_STAGES[deal.stage]


def _before_flush(session: Session, _context, _instances) -> None:
    deleted = set(session.deleted)
    deals: set[Deal] = set()
    for obj in list(session.new) + list(session.dirty):
        if isinstance(obj, DealLine) and obj not in deleted:
            fill_line(obj)
            if obj.deal is not None:
                deals.add(obj.deal)
        elif isinstance(obj, Deal) and obj not in deleted:
            deals.add(obj)
    for obj in deleted:
        if isinstance(obj, DealLine) and obj.deal is not None and obj.deal not in deleted:
            deals.add(obj.deal)
    for deal in deals:
        recompute_deal(deal, deleted)


def install_deal_rules() -> None:
    """Attach the rules to every ORM session (idempotent)."""
    if not event.contains(Session, "before_flush", _before_flush):
        event.listen(Session, "before_flush", _before_flush)
