"""The deal's record of stage automation: one event per thing a rule did, refused or
failed to do (a failure has a Retry on the deal page)."""

from __future__ import annotations

from app.extensions import db
from app.models.automation import AutomationEvent


def note(deal, rule, stage, user, outcome, text, document=None) -> AutomationEvent:
    """Add an event to the deal's automation record (the caller commits)."""
    event = AutomationEvent(
        deal_id=deal.id,
        rule_id=rule.id,
        rule_name=rule.name,
        stage=stage,
        document_id=getattr(document, "id", None),
        on_behalf_of_id=getattr(user, "id", None),
        outcome=outcome,
        note=text,
    )
    db.session.add(event)
    return event
