"""Stage automation's job: a thin wrapper that takes ids and calls the service."""

from __future__ import annotations

from app.jobs.queue import job
from app.services import launchers


@job(queue="default", timeout=600)
def apply_stage_automation(deal_id: int, stage: str, user_id: int | None = None) -> list[str]:
    """Apply the deal's automation rules for ``stage`` (safe to run again)."""
    from app.services.automation import apply_stage

    return apply_stage(deal_id, stage, user_id)


def wire(app) -> None:
    """Let the stage hook of ``app`` queue the job after a deal's commit."""
    from app.services.automation_hook import STAGE_JOB

    launchers.register(app, STAGE_JOB, apply_stage_automation.enqueue)
