"""Documents → Approvals: what waits for a decision, with why, and what was decided.

The buttons post to the document screens' ``act`` route, which checks the approver's
right (can_approve on Document) and refuses a decision on one's own request.
"""

from __future__ import annotations

from flask import g
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models.documents import ApprovalRequest
from app.security.permissions import READ_ONLY_VERBS
from app.services.documents import actions, approvals, lifecycle
from app.views.document_page import DECISION_LABELS, VIEW_OF_KIND, document_url
from app.views.money import Money, local_time

DECIDED_SHOWN = 50


def _row(request: ApprovalRequest, user) -> dict:
    document = request.document
    own = request.requested_by_id is not None and request.requested_by_id == user.id
    pending = request.decision is None and document.state == "pending_approval"
    return {
        "id": request.id,
        "number": document.number,
        "url": document_url(document),
        "act_endpoint": f"{VIEW_OF_KIND[document.kind]}.act",
        "document_id": document.id,
        "kind": lifecycle.KIND_LABELS[document.kind],
        "company": document.company.name if document.company else "",
        "amount": Money(request.amount, document.currency),
        "reasons": approvals.reasons_in_words(request.reasons),
        "requested_by": request.requested_by.username if request.requested_by else "",
        "requested_at": local_time(request.requested_at),
        "decision": DECISION_LABELS.get(request.decision, request.decision),
        "decided_by": request.decided_by.username if request.decided_by else "",
        "decided_at": local_time(request.decided_at) if request.decided_at else "",
        "comment": request.comment or "",
        "own": own,
        "may_decide": pending and not own and actions.may(user, document, "approve"),
    }


class ApprovalQueueView(BaseView):
    """Pending approval requests first, then the latest decisions."""

    route_base = "/approvals"
    class_permission_name = "ApprovalQueue"
    method_permission_name = READ_ONLY_VERBS
    default_view = "list"

    @expose("/list/")
    @has_access
    def list(self):
        """The queue."""
        query = db.session.query(ApprovalRequest)
        pending = (
            query.filter(ApprovalRequest.decision.is_(None))
            .order_by(ApprovalRequest.requested_at)
            .all()
        )
        decided = (
            query.filter(ApprovalRequest.decision.isnot(None))
            .order_by(ApprovalRequest.decided_at.desc())
            .limit(DECIDED_SHOWN)
            .all()
        )
        user = g.user
        return self.render_template(
            "renkei/approvals.html",
            title=_l("Approvals"),
            pending=[_row(r, user) for r in pending],
            decided=[_row(r, user) for r in decided],
        )
