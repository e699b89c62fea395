"""The pipeline summary shown on the home page."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select

from app.models.choices import DEAL_STAGE_LABELS, DEAL_STAGES
from app.models.crm import Deal


@dataclass
class StageTotal:
    stage: str
    label: str
    currency: str
    count: int
    amount: Decimal


def pipeline_by_stage(session) -> list[StageTotal]:
    """Deal count and amount per stage and currency, stages in pipeline order."""
    rows = session.execute(
        select(Deal.stage, Deal.currency, func.count(Deal.id), func.sum(Deal.amount)).group_by(
            Deal.stage, Deal.currency
        )
    ).all()
    order = list(DEAL_STAGES)
    rows = sorted(rows, key=lambda r: (order.index(r[0]) if r[0] in order else 99, r[1]))
    return [
        StageTotal(
            stage, str(DEAL_STAGE_LABELS.get(stage, stage)), currency, count, Decimal(total or 0)
        )
        for stage, currency, count, total in rows
    ]
