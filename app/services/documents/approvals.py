"""Approval: rules decide whether a document needs it; approvers approve or reject, with why.

Submitting a draft either approves it at once (no rule applies; recorded as such) or
opens an ApprovalRequest naming the rules that triggered. The requester may not decide
their own request. A rejection sends the document back to draft with the reason kept.

The reasons are stored as data (a JSON list of ``{"rule", "kind", "value", "limit",
"currency"}``), not as words, so each reader sees them in their own language:
``describe`` is the one place that turns a reason into a sentence. Requests made before
that hold plain text, one reason a line; they are shown as they are.
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal, InvalidOperation

from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import or_

from app.extensions import db
from app.models.audit import AuditEntry
from app.models.crm import utcnow
from app.models.documents import ApprovalRequest, ApprovalRule, Document
from app.services.actor import acting_as
from app.services.documents import lifecycle
from app.services.documents.transaction import locked
from app.services.errors import Forbidden, InvalidInput
from app.services.money import format_money

# What a reason can be about: the document's total, or its largest line discount.
REASON_KINDS = ("amount", "discount")


def _number(value) -> str:
    """A Decimal as stored in a reason: no exponent, no trailing zeros (1650000, 12.5)."""
    return format(Decimal(value).normalize(), "f")


def triggered(document: Document) -> list[dict]:
    """Why ``document`` needs approval, as data (empty: it does not).

    Each reason is ``{"rule": name, "kind": "amount" | "discount", "value": what the
    document has, "limit": what the rule allows, "currency": for amounts, else None}``;
    numbers are decimal strings.
    """
    reasons = []
    max_discount = max((Decimal(line.discount_percent or 0) for line in document.lines), default=0)
    rules = (
        db.session.query(ApprovalRule)
        .filter(ApprovalRule.active.is_(True))
        .order_by(ApprovalRule.id)
        .all()
    )
    for rule in rules:
        if rule.currency and rule.currency != document.currency:
            continue
        if (
            rule.currency
            and rule.min_amount is not None
            and Decimal(document.total) >= Decimal(rule.min_amount)
        ):
            reasons.append(
                {
                    "rule": rule.name,
                    "kind": "amount",
                    "value": _number(document.total),
                    "limit": _number(rule.min_amount),
                    "currency": document.currency,
                }
            )
        if rule.max_discount_percent is not None and max_discount > Decimal(
            rule.max_discount_percent
        ):
            reasons.append(
                {
                    "rule": rule.name,
                    "kind": "discount",
                    "value": _number(max_discount),
                    "limit": _number(rule.max_discount_percent),
                    "currency": None,
                }
            )
    return reasons


def encode_reasons(reasons: list[dict]) -> str:
    """Reasons as ApprovalRequest.reasons stores them (JSON, names kept readable)."""
    return json.dumps(reasons, ensure_ascii=False)


def decode_reasons(stored: str | None) -> list[dict | str]:
    """Stored reasons back as data; an old request's plain text as its lines (strings)."""
    if not stored:
        return []
    try:
        reasons = json.loads(stored)
    except ValueError:
        reasons = None
    if isinstance(reasons, list) and all(
        isinstance(r, dict) and r.get("kind") in REASON_KINDS for r in reasons
    ):
        return reasons
    return [line for line in stored.splitlines() if line.strip()]


def describe(reason: dict | str) -> str:
    """One reason in words, in the reader's language (plain text is shown as it is)."""
    if isinstance(reason, str):
        return reason
    try:
        if reason["kind"] == "amount":
            locale = str(get_locale() or "ja_JP")
            currency = reason.get("currency") or "JPY"
            return _(
                "%(rule)s: the total %(total)s is at or above %(limit)s.",
                rule=reason["rule"],
                total=format_money(Decimal(reason["value"]), currency, locale=locale),
                limit=format_money(Decimal(reason["limit"]), currency, locale=locale),
            )
        return _(
            "%(rule)s: a discount of %(d)s%% is above %(limit)s%%.",
            rule=reason["rule"],
            d=reason["value"],
            limit=reason["limit"],
        )
    except (KeyError, TypeError, InvalidOperation):
        return str(reason.get("rule") or reason)


def reasons_in_words(stored: str | None) -> list[str]:
    """The stored reasons of a request as sentences in the reader's language."""
    return [describe(reason) for reason in decode_reasons(stored)]


def triggered_rules(document: Document) -> list[str]:
    """The reasons, in words, why ``document`` needs approval (empty: it does not)."""
    return [describe(reason) for reason in triggered(document)]


def pending_request(document: Document) -> ApprovalRequest | None:
    """The undecided request of ``document`` (the newest, should an old one be left open)."""
    open_requests = [r for r in document.approvals if r.decision is None]
    return max(open_requests, key=lambda r: r.id or 0, default=None)


def fingerprint(document: Document) -> str:
    """SHA-256 of what an approver approves: the money header and every line."""

    def plain(value):
        if isinstance(value, Decimal):
            return _number(value)
        return None if value is None else str(value)

    content = {
        "kind": document.kind,
        "currency": document.currency,
        "legal_entity": document.legal_entity_id,
        "company": document.company_id,
        "totals": [plain(document.subtotal), plain(document.tax), plain(document.total)],
        "lines": sorted(
            (
                [
                    plain(getattr(line, name))
                    for name in (
                        "position",
                        "product_id",
                        "name",
                        "unit",
                        "unit_price",
                        "quantity",
                        "discount_percent",
                        "tax_rate",
                        "amount",
                    )
                ]
                for line in document.lines
            ),
            key=lambda values: [v or "" for v in values],
        ),
    }
    encoded = json.dumps(content, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(encoded.encode()).hexdigest()


# The header fields an approval covers (with the lines): see ``fingerprint``.
_CONTENT_FIELDS = ("currency", "legal_entity_id", "company_id")


def wrote_content(document: Document, user) -> bool:
    """Whether ``user`` created or changed what an approver approves on ``document`` (its
    lines or money header), by the audit trail: four eyes means the approver wrote none
    of it, not only that someone else pressed Submit."""
    user_id = getattr(user, "id", None)
    if user_id is None or document.id is None:
        return False
    authored = (
        db.session.query(AuditEntry.id)
        .filter(AuditEntry.document_id == document.id, AuditEntry.user_id == user_id)
        .filter(AuditEntry.action.in_(("create", "update", "delete")))
        .filter(or_(AuditEntry.line_id.isnot(None), AuditEntry.field.in_(_CONTENT_FIELDS)))
        .first()
    )
    return authored is not None


def _matches(request: ApprovalRequest, document: Document) -> bool:
    """Whether ``document`` still has the content ``request`` was made for."""
    if request.fingerprint:
        return request.fingerprint == fingerprint(document)
    # A request made before fingerprints: at least the amount must be the same.
    return Decimal(request.amount) == Decimal(document.total)


def withdraw(document: Document, why: str | None = None) -> None:
    """Close every open request of ``document`` undecided (reopened, changed, resubmitted)."""
    for request in document.approvals:
        if request.decision is None:
            request.decision = "withdrawn"
            request.decided_at = utcnow()
            request.comment = why or _("Withdrawn: the document went back to draft.")


# Called with (document, approver) after an approval is committed: the sync services
# register the issue of links waiting for it (app.services.sync.issuing.wire).
AFTER_APPROVAL: list = []


def latest_rejection(document: Document) -> ApprovalRequest | None:
    """The last rejected request, shown to the requester while the document is a draft."""
    rejected = [r for r in document.approvals if r.decision == "rejected"]
    return rejected[-1] if rejected else None


def submit(document: Document, user, *, commit: bool = True) -> Document:
    """Ask for approval when a rule says so; otherwise approve the draft at once
    (``commit=False``: inside the caller's transaction, which commits).

    The request records who asked and a fingerprint of the content (``fingerprint``): a
    decision applies to that content only.
    """
    with locked(document):
        if not document.lines:
            raise InvalidInput(_("Add at least one line before submitting."), field="lines")
        lifecycle.check_transition(document, "pending_approval")
        with acting_as(user):
            from app.services.documents.issuing import give_default_due_date

            give_default_due_date(document)  # before the fingerprint: it is approved with it
            reasons = triggered(document)
            withdraw(document, _("Withdrawn: the document was submitted again."))
            if reasons:
                lifecycle.move(document, "pending_approval")
                db.session.add(
                    ApprovalRequest(
                        document=document,
                        reasons=encode_reasons(reasons),
                        amount=document.total,
                        fingerprint=fingerprint(document),
                        requested_by=user,
                    )
                )
            else:
                lifecycle.move(document, "approved")
            if commit:
                db.session.commit()
            else:
                db.session.flush()
    return document


def decide(document: Document, user, approve: bool, comment: str | None = None) -> ApprovalRequest:
    """Approve or reject the pending request; a rejection needs a reason.

    Under the document's lock: the request must still be open, its requester is not the
    decider, and the document must still have the content it was submitted with; a
    request whose content changed is withdrawn (the document goes back to draft).
    """
    with locked(document):
        request = pending_request(document)
        if request is None or document.state != "pending_approval":
            raise InvalidInput(_("This document is not waiting for approval."), field="state")
        if request.requested_by_id is not None and request.requested_by_id == getattr(
            user, "id", None
        ):
            raise Forbidden(_("You cannot decide on your own request; another approver must."))
        if approve and wrote_content(document, user):
            raise Forbidden(
                _(
                    "You wrote part of this document (its lines or its customer, currency "
                    "or issuer): another approver must approve it."
                )
            )
        if not _matches(request, document):
            stale = _("The document changed after it was submitted: submit it again.")
            with acting_as(user):
                withdraw(document, stale)
                lifecycle.move(document, "draft")
                db.session.commit()
            raise InvalidInput(stale, field="state")
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
    if approve:
        for then in AFTER_APPROVAL:
            then(document, user)
    return request
