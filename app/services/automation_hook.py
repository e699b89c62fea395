"""The one door for stage automation: a deal's stage change, after its transaction commits.

Screens, the REST API, bulk edits and imports all flush deals through the ORM, so the
hook is on the session: ``after_flush`` notes each deal whose stage became won or lost
(a new deal created at that stage too) with the person acting; ``after_commit`` queues
the automation job for each, ``after_rollback`` forgets them — a change that rolled back
never triggers anything. The job re-reads the stage under the deal's lock.
"""

from __future__ import annotations

import logging

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from app.models.automation import TRIGGERS
from app.models.crm import Deal
from app.services import launchers
from app.services.actor import current_actor

log = logging.getLogger(__name__)
STAGE_JOB = "apply_stage_automation"
_KEY = "renkei.stage_changes"


def _after_flush(session: Session, _context) -> None:
    for obj in list(session.new) + list(session.dirty):
        if not isinstance(obj, Deal) or obj in session.deleted or obj.stage not in TRIGGERS:
            continue
        if obj in session.new or inspect(obj).attrs.stage.history.has_changes():
            changes = session.info.setdefault(_KEY, {})
            changes[obj.id] = (obj.stage, current_actor().id)


def _after_commit(session: Session) -> None:
    changes = session.info.pop(_KEY, None)
    for deal_id, (stage, user_id) in (changes or {}).items():
        try:
            launchers.launch(STAGE_JOB, deal_id, stage, user_id)
        except Exception:  # the change is committed; say loudly that its rules did not run
            log.exception("stage automation for deal %s (%s) was not queued", deal_id, stage)


def _after_rollback(session: Session) -> None:
    session.info.pop(_KEY, None)


def install() -> None:
    """Attach the hook to every ORM session (idempotent)."""
    for name, listener in (
        ("after_flush", _after_flush),
        ("after_commit", _after_commit),
        ("after_rollback", _after_rollback),
    ):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)
