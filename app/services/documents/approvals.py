"""Approval: rules decide whether a document needs it; approvers approve or reject, with why.

Submitting a draft either approves it at once (no rule applies; recorded as such) or
opens an ApprovalRequest naming the rules that triggered. The requester may not decide
their own request. A rejection sends the document back to draft with the reason kept.
"""

from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext as _

from app.extensions import db
from app.models.crm import utcnow
from app.models.documents import ApprovalRequest, ApprovalRule, Document
from app.services.actor import acting_as
from app.services.documents import lifecycle
from app.services.errors import Forbidden, InvalidInput
from app.services.money import format_money


def triggered_rules(document: Document) -> list[str]:
    """The reasons, in words, why ``document`` needs approval (empty: it does not)."""
    reasons = []
    max_discount = max((Decimal(line.discount_percent or 0) for line in document.lines), default=0)
    rules = db.session.query(ApprovalRule).filter(ApprovalRule.active.is_(True)).all()
    for rule in rules:
        if rule.currency and rule.currency != document.currency:
            continue
        if (
            rule.currency
            and rule.min_amount is not None
            and Decimal(document.total) >= Decimal(rule.min_amount)
        ):
            reasons.append(
                _(
                    "%(rule)s: the total %(total)s is at or above %(limit)s.",
                    rule=rule.name,
                    total=format_money(document.total, document.currency),
                    limit=format_money(rule.min_amount, document.currency),
                )
            )
        if rule.max_discount_percent is not None and max_discount > Decimal(
            rule.max_discount_percent
        ):
            reasons.append(
                _(
                    "%(rule)s: a discount of %(d)s%% is above %(limit)s%%.",
                    rule=rule.name,
                    d=format(max_discount.normalize(), "f"),
                    limit=format(Decimal(rule.max_discount_percent).normalize(), "f"),
                )
            )
    return reasons


def pending_request(document: Document) -> ApprovalRequest | None:
    """The undecided request of ``document``, if any."""
    return next((r for r in document.approvals if r.decision is None), None)


def latest_rejection(document: Document) -> ApprovalRequest | None:
    """The last rejected request, shown to the requester while the document is a draft."""
    rejected = [r for r in document.approvals if r.decision == "rejected"]
    return rejected[-1] if rejected else None


def submit(document: Document, user) -> Document:
    """Ask for approval when a rule says so; otherwise approve the draft at once."""
    if not document.lines:
        raise InvalidInput(_("Add at least one line before submitting."), field="lines")
    lifecycle.check_transition(document, "pending_approval")
    reasons = triggered_rules(document)
    with acting_as(user):
        if reasons:
            lifecycle.move(document, "pending_approval")
            db.session.add(
                ApprovalRequest(
                    document=document,
                    reasons="\n".join(reasons),
                    amount=document.total,
                    requested_by=user,
                )
            )
        else:
            lifecycle.move(document, "approved")
        db.session.commit()
    return document


def decide(document: Document, user, approve: bool, comment: str | None = None) -> ApprovalRequest:
    """Approve or reject the pending request; a rejection needs a reason."""
    request = pending_request(document)
    if request is None or document.state != "pending_approval":
        raise InvalidInput(_("This document is not waiting for approval."), field="state")
    if request.requested_by_id is not None and request.requested_by_id == getattr(user, "id", None):
        raise Forbidden(_("You cannot decide on your own request; another approver must."))
    comment = (comment or "").strip()
    if not approve and not comment:
        raise InvalidInput(
            _("Say why it is rejected, so the requester can fix it."), field="comment"
        )
    with acting_as(user):
        request.decision = "approved" if approve else "rejected"
        request.decided_by = user
        request.decided_at = utcnow()
        request.comment = comment or None
        lifecycle.move(document, "approved" if approve else "draft")
        db.session.commit()
    return request
