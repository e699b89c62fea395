"""Stage automation: what happens by itself when a deal is won or lost.

Every door that changes a deal's stage (screen, REST API, bulk edit, import) flushes it
through the ORM; ``hook.py`` notes the change at flush and, only once the transaction
commits, queues ``STAGE_JOB`` with (deal, stage, person). The job calls ``apply_stage``:

- under the deal's row lock, re-read: a deal no longer at that stage is left alone;
- won: each active rule of the deal's type makes its document (quote or invoice) from
  the deal unless an automatic one of that kind that is not void exists — the partial
  unique index ``uq_document_automatic`` makes that a fact of the schema — submits it
  under the approval rules and, for an invoice rule with a connection, issues it there
  (at once when approved, else when an approver approves; the sync history shows the
  run, its failure and its Retry);
- lost: the deal's unsent invoices are voided in Renkei and at their provider; a sent
  one is left as it is with a note on the deal saying why.

Each outcome is an ``AutomationEvent`` of the deal, and each change to a document a line
in its audit trail under the rule, on behalf of the person who changed the stage.
"""

from __future__ import annotations

import logging

from flask_appbuilder.security.sqla.models import User
from flask_babel import gettext as _
from sqlalchemy import or_

from app.extensions import db
from app.models.automation import AutomationEvent, AutomationRule
from app.models.crm import Deal, utcnow
from app.models.documents import Document
from app.models.sync import ExternalDocument, SyncFailure, SyncRun
from app.providers.errors import ProviderError
from app.services import automation_void
from app.services.actor import acting_as
from app.services.automation_record import note
from app.services.documents import approvals, issuing
from app.services.documents.audit import record_event
from app.services.errors import InvalidInput, NotFound
from app.services.locking import lock
from app.services.sync import issuing as sync_issuing

log = logging.getLogger(__name__)


class RuleActor:
    """Who the trail names for an automatic change: the rule, for the stage's changer."""

    def __init__(self, rule: AutomationRule, user):
        self.id = getattr(user, "id", None)
        person = getattr(user, "username", None) or "system"
        self.username = f"rule #{rule.id} {rule.name} / {person}"[:100]


def rules_for(deal: Deal, stage: str) -> list[AutomationRule]:
    """The active rules of ``deal``'s type (or of every type) for ``stage``."""
    return (
        db.session.query(AutomationRule)
        .filter(AutomationRule.active.is_(True), AutomationRule.trigger == stage)
        .filter(
            or_(
                AutomationRule.deal_type_id.is_(None),
                AutomationRule.deal_type_id == deal.deal_type_id,
            )
        )
        .order_by(AutomationRule.id)
        .all()
    )


def automatic_document(deal: Deal, kind: str) -> Document | None:
    """The deal's automatic document of ``kind`` that is not void (at most one)."""
    return (
        db.session.query(Document)
        .filter_by(deal_id=deal.id, kind=kind, created_by_automation=True)
        .filter(Document.state != "void")
        .one_or_none()
    )


def apply_stage(deal_id: int, stage: str, user_id: int | None) -> list[str]:
    """Apply the rules for ``stage`` to the deal (the job's work); outcomes, in order.

    Safe to run again and at once with itself: each rule runs in its own transaction
    under the deal's row lock, and a document already made is never made again.
    """
    deal = db.session.get(Deal, deal_id)
    if deal is None:
        return []
    user = db.session.get(User, user_id) if user_id else None
    outcomes = []
    for rule_id in [r.id for r in rules_for(deal, stage)]:
        rule = db.session.get(AutomationRule, rule_id)
        try:
            outcomes.append(apply_rule(deal, rule, stage, user))
        except Exception as exc:  # any failure is shown, with a Retry
            db.session.rollback()
            log.exception("automation rule %s on deal %s failed", rule_id, deal_id)
            deal = db.session.get(Deal, deal_id)
            rule = db.session.get(AutomationRule, rule_id)
            message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
            note(deal, rule, stage, user, "failed", message)
            db.session.commit()
            outcomes.append("failed")
    return outcomes


def apply_rule(deal: Deal, rule: AutomationRule, stage: str, user) -> str:
    """One rule for one deal, in one transaction under the deal's lock; its outcome."""
    started: list = []
    try:
        lock(deal)
        if deal.stage != stage or not rule.active:
            db.session.commit()
            return "skipped"  # the stage moved on (or the rule was switched off) meanwhile
        with acting_as(RuleActor(rule, user)):
            if rule.action == "void_unsent":
                outcome = automation_void.void_unsent(deal, rule, stage, user)
            else:
                outcome = _make(deal, rule, stage, user, started)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    sync_issuing.start_runs(started)
    return outcome


def _make(deal: Deal, rule: AutomationRule, stage: str, user, started: list) -> str:
    kind = rule.action
    document = automatic_document(deal, kind)
    outcome = "existing"
    if document is None:
        with acting_as(user):  # the content is the deal's, entered by this person
            # Issued by the rule's connection's legal entity, if it issues at one.
            entity = rule.connection.legal_entity if rule.connection is not None else None
            document = issuing.from_deal(
                deal, kind, user=user, commit=False, automatic=True, legal_entity=entity
            )
            approvals.submit(document, user, commit=False)
        record_event(
            db.session,
            document,
            "automation",
            _(
                "Made by automation rule %(rule)s when the deal was %(stage)s, on behalf "
                "of %(user)s.",
                rule=rule.name,
                stage=stage,
                user=getattr(user, "username", "system"),
            ),
        )
        note(
            deal,
            rule,
            stage,
            user,
            "created",
            _("%(number)s made from the deal.", number=document.number),
            document,
        )
        outcome = "created"
    if kind != "invoice" or rule.connection is None:
        return outcome
    link = sync_issuing.link_of(document, rule.connection)
    if link is not None:
        return outcome  # already issued there, or waiting for the approval
    try:
        issued = sync_issuing.issue_automatic(document, rule.connection, started)
    except InvalidInput as refusal:
        note(deal, rule, stage, user, "refused", str(refusal), document)
        return "refused"
    waiting = issued.link.billing_status == "awaiting_approval"
    note(
        deal,
        rule,
        stage,
        user,
        "waiting" if waiting else "issued",
        _(
            "%(number)s is issued at %(name)s once approved.",
            number=document.number,
            name=rule.connection.name,
        )
        if waiting
        else _(
            "%(number)s is being issued at %(name)s.",
            number=document.number,
            name=rule.connection.name,
        ),
        document,
    )
    return "waiting" if waiting else "issued"


def retry(event_id: int, user) -> str:
    """Apply a failed event's rule again for its deal (once still means once)."""
    event = db.session.get(AutomationEvent, event_id)
    if event is None or event.outcome != "failed" or event.rule is None:
        raise NotFound(_("There is no failed automatic action to retry."))
    event.retried_at = utcnow()
    db.session.commit()
    return apply_rule(event.deal, event.rule, event.stage, user)


def _rule_of(document: Document) -> AutomationRule | None:
    """The rule whose lost-stage action last worked on ``document``."""
    event = (
        db.session.query(AutomationEvent)
        .filter(AutomationEvent.document_id == document.id, AutomationEvent.rule_id.isnot(None))
        .order_by(AutomationEvent.id.desc())
        .first()
    )
    return event.rule if event is not None else None


def retry_void_run(failure: SyncFailure, user) -> SyncRun:
    """The sync history's Retry of a failed void at a provider: under the deal's and the
    invoice's locks (the rule's order), a new ``void_at_provider`` run voids the invoice
    there and here, once. N presses at once get one run; a link already voided (by the
    deal page's Retry, say) is not asked again; a deal no longer lost voids nothing."""
    link = db.session.get(ExternalDocument, failure.document_id) if failure.document_id else None
    document = link.document if link is not None else None
    if document is None or document.deal is None:
        raise NotFound(_("The invoice of this failure no longer exists."))
    deal = document.deal
    lock(deal)
    lock(document)
    db.session.refresh(failure)
    db.session.refresh(link)
    if failure.retried_run_id is not None:
        earlier = db.session.get(SyncRun, failure.retried_run_id)
        if earlier is not None:
            db.session.commit()
            return earlier
    rule = _rule_of(document)
    run = automation_void.void_run(link, user)
    failure.retried_run_id = run.id
    if deal.stage != "lost" or rule is None:
        automation_void.end_void_run(
            run, _("Nothing voided: the deal is no longer lost."), error=False
        )
        run.updated = 0
    elif document.state == "void" or link.billing_status == "void":
        automation_void.end_void_run(run, _("Nothing to do: it was voided meanwhile."))
        run.updated = 0
    else:
        with acting_as(RuleActor(rule, user)):
            try:
                automation_void.void_one(deal, rule, "lost", user, document, run)
            except (ProviderError, InvalidInput) as exc:  # the run says it, with a Retry
                note(
                    deal,
                    rule,
                    "lost",
                    user,
                    "failed",
                    _(
                        "%(number)s was not voided: %(error)s Retry applies the rule again.",
                        number=document.number,
                        error=str(exc),
                    ),
                    document,
                )
        if run.status == "running":  # left as it is (sent meanwhile): the deal says why
            automation_void.end_void_run(
                run, _("Nothing voided: see the deal's automation record.")
            )
            run.updated = 0
    db.session.commit()
    return run


def may_unlink(document: Document) -> bool:
    """Whether ``document`` may be unlinked from its deal: never one automation made."""
    return not document.created_by_automation


def unlink_refusal(document: Document) -> str | None:
    """The sentence refusing to unlink ``document``, or None when it may be unlinked."""
    if may_unlink(document):
        return None
    return _(
        "%(number)s was made by stage automation for this deal and cannot be unlinked.",
        number=document.number,
    )
