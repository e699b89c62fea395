"""Deal rules kept on every flush: line amounts, derived deal amount, probability."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from app.models.choices import DEAL_STAGES
from app.models.crm import Deal, DealLine
from app.services.errors import InvalidInput
from app.services.lines import complete_line
from app.services.money import round_money


def fill_line(line: DealLine) -> None:
    """Complete a deal line; the deal's currency decides the rounding."""
    complete_line(line, line.deal.currency if line.deal is not None else "JPY")


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
