"""What a person may do to a document, in one place: the action, its right, its verb.

Screens and the REST API call ``perform``; it checks the user's right for the action
(resources and verbs from app/security/permissions.py) and then runs the service verb.
Every verb locks the row it changes (services.locking.lock), re-checks its rule and
commits once, so N identical requests at once have one outcome.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models.document_kinds import KINDS, resource_of
from app.models.documents import Document
from app.security.rights import user_may
from app.services.actor import acting_as
from app.services.documents import approvals, audit, issuing, lifecycle, payments
from app.services.documents.transaction import locked
from app.services.errors import Forbidden, InvalidInput

# The resource of each kind, from the registry of kinds (as in permissions.DOCUMENT_TYPES).
RESOURCE = {code: kind.resource for code, kind in KINDS.items()}
ACTION_LABELS = {
    "submit": _l("Submit"),
    "approve": _l("Approve"),
    "reject": _l("Reject"),
    "reopen": _l("Reopen as draft"),
    "void": _l("Void"),
    "dispute": _l("Mark disputed"),
    "resolve": _l("Resolve dispute"),
    "write_off": _l("Write off"),
    "convert": _l("Convert to invoice"),
    "credit": _l("Issue credit note"),
}
# Actions that cancel money owed: set apart on the screen, confirmed, and given a reason
# (True: the reason is required from every door; False: asked for, optional).
GUARDED = {"void": True, "write_off": True, "dispute": False}


def right_for(document: Document, action: str) -> tuple[str, str]:
    """The (permission, resource) an action needs on ``document``."""
    if action in ("approve", "reject"):
        return "can_approve", "Document"
    if action in ("dispute", "resolve", "write_off", "record_payment"):
        return "can_record_payment", "Document"
    if action == "send":
        return "can_send_email", RESOURCE[document.kind]
    if action == "credit":
        return "can_write", resource_of("credit_note")
    if action == "convert":
        return "can_write", resource_of("invoice")
    return "can_write", RESOURCE[document.kind]


def may(user, document: Document, action: str) -> bool:
    """Whether ``user`` holds the right for ``action`` on ``document``."""
    return user_may(user, *right_for(document, action))


def available(user, document: Document) -> list[str]:
    """The actions to offer ``user`` on ``document`` right now (state and rights)."""
    nexts = lifecycle.allowed_next(document)
    candidates = []
    if document.state == "draft":
        candidates.append("submit")
    if document.state == "pending_approval":
        candidates += ["approve", "reject"]
    if "draft" in nexts and document.state == "approved":
        candidates.append("reopen")
    if "void" in nexts:
        candidates.append("void")
    if "disputed" in nexts:
        candidates.append("dispute")
    if document.state == "disputed":
        candidates.append("resolve")
    if "written_off" in nexts:
        candidates.append("write_off")
    if document.kind == "quote" and document.state in ("approved", "sent"):
        candidates.append("convert")
    if document.kind == "invoice" and document.state in lifecycle.OPEN_STATES + ("paid",):
        candidates.append("credit")
    return [a for a in candidates if may(user, document, a)]


def perform(document: Document, action: str, user, comment: str | None = None):
    """Run ``action`` for ``user`` after checking the right; returns what it made or changed."""
    if action not in ACTION_LABELS:
        raise InvalidInput(_("Unknown action %(a)s.", a=action), field="action")
    if not may(user, document, action):
        permission, resource = right_for(document, action)
        raise Forbidden(
            _(
                "You may not %(action)s this document (it needs %(p)s on %(r)s).",
                action=ACTION_LABELS[action],
                p=permission,
                r=resource,
            )
        )
    reason = (comment or "").strip() or None
    if GUARDED.get(action) and reason is None:
        raise InvalidInput(
            _("Give a reason to %(action)s this document.", action=ACTION_LABELS[action]),
            field="comment",
        )
    if action == "submit":
        return approvals.submit(document, user)
    if action in ("approve", "reject"):
        return approvals.decide(document, user, action == "approve", comment)
    if action == "convert":
        return issuing.convert_quote(document, user=user)
    if action == "credit":
        return issuing.credit_note_for(document, user=user)
    target = {
        "reopen": "draft",
        "void": "void",
        "dispute": "disputed",
        "write_off": "written_off",
        "resolve": "sent",
    }[action]
    with acting_as(user), locked(document):
        # re-checked after the lock: lifecycle.move refuses a move already made
        lifecycle.move(document, target)
        if reason:  # kept as the note of the transition's row in the audit trail
            audit.note_transition(db.session, document, reason)
        approvals.withdraw(document)  # a request never outlives the state it was for
        if action == "resolve":
            payments.settle(document)
        db.session.commit()
    return document
