"""Billing → Milestones: the milestone contracts, their parts and what each awaits;
a contract made from a deal; Mark done, Approve, Send back and Invoice per part; the
deal page's panel (billed, due, remaining). Rights: permissions.MILESTONE_VERBS."""

from __future__ import annotations

from flask import g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models.choices import TAX_RATE_LABELS
from app.models.crm import Deal
from app.models.milestones import Milestone, MilestoneContract
from app.security.permissions import MILESTONE_VERBS
from app.security.rights import user_may
from app.services.billing import milestones
from app.services.billing.common import still_billed
from app.services.errors import InvalidInput, NotFound
from app.views.document_page import document_url
from app.views.money import Money
from app.views.refusals import back_to, safe_next

KIND_LABELS = {
    "deposit": _l("Deposit"),
    "milestone": _l("Milestone"),
    "final": _l("Final payment"),
}
STATE_LABELS = {
    "pending": _l("Delivery pending"),
    "done": _l("Done, awaiting approval"),
    "approved": _l("Approved, to invoice"),
    "invoiced": _l("Invoiced"),
    "billable_again": _l("Invoice void: billable again"),
}


def parse_parts(lines: str) -> list[dict]:
    """The form's parts, one a line: ``kind; name; amount`` or ``kind; name; 30%``."""
    parts = []
    for number, raw in enumerate((lines or "").splitlines(), start=1):
        if not raw.strip():
            continue
        fields = [f.strip() for f in raw.replace("；", ";").split(";")]
        if len(fields) != 3:
            raise InvalidInput(
                _("Line %(n)s: write kind; name; amount (or percentage with %%).", n=number),
                field="parts",
            )
        kind, name, value = fields
        key = "percent" if value.endswith(("%", "％")) else "amount"
        parts.append({"kind": kind, "name": name, key: value.rstrip("%％").strip()})
    return parts


def part_row(part: Milestone) -> dict:
    state = part.state
    if state == "invoiced" and not still_billed(part.document):
        state = "billable_again"
    user = g.user
    return {
        "part": part,
        "kind": KIND_LABELS[part.kind],
        "state": state,
        "state_label": STATE_LABELS[state],
        "amount": Money(part.amount, part.contract.currency),
        "percent": f"{part.percent.normalize():f}%" if part.percent is not None else "",
        "document_url": document_url(part.document) if part.document is not None else None,
        "may_done": part.kind != "deposit"
        and part.state == "pending"
        and user_may(user, "can_mark_done", "Milestone"),
        "may_approve": part.state == "done"
        and part.done_by_id != user.id
        and user_may(user, "can_approve", "Milestone"),
        "may_invoice": milestones.refusal(part) is None
        and part.state in ("approved", "invoiced", "pending")
        and user_may(user, "can_invoice", "Milestone"),
    }


def deal_panel(deal_id) -> dict | None:
    """The deal page's milestone panel: the contract's parts and its figures."""
    contract = milestones.contract_of(deal_id)
    if contract is None:
        return None
    summary = milestones.summary(contract)
    currency = contract.currency
    return {
        "contract": contract,
        "rows": [part_row(p) for p in contract.parts],
        **{k: Money(v, currency) for k, v in summary.items() if k != "currency"},
    }


class MilestonesView(BaseView):
    """Milestone contracts and their parts."""

    route_base = "/milestones"
    class_permission_name = "Milestone"
    method_permission_name = MILESTONE_VERBS
    base_permissions = ["can_read", "can_write", "can_mark_done", "can_approve", "can_invoice"]
    default_view = "list"

    @expose("/list/")
    @has_access
    def list(self):
        contracts = (
            db.session.query(MilestoneContract).order_by(MilestoneContract.id.desc()).limit(200)
        )
        panels = [deal_panel(c.deal_id) for c in contracts]
        deals = (
            db.session.query(Deal)
            .filter(~Deal.id.in_(db.session.query(MilestoneContract.deal_id)))
            .order_by(Deal.id.desc())
            .limit(200)
            .all()
        )
        return self.render_template(
            "renkei/billing_milestones.html",
            title=_l("Milestones"),
            panels=panels,
            deals=deals,
            may_write=user_may(g.user, "can_write", "Milestone"),
        )

    @expose("/new/<int:pk>", methods=["GET"])
    @has_access
    def new_contract(self, pk):
        deal = db.session.get(Deal, pk)
        if deal is None:
            raise NotFound(_("No deal %(id)s.", id=pk))
        return self.render_template(
            "renkei/billing_milestone_new.html",
            title=_l("New milestone contract"),
            deal=deal,
            amount=Money(deal.amount, deal.currency),
            tax_rates=TAX_RATE_LABELS,
            form=request.args,
        )

    @expose("/new/<int:pk>", methods=["POST"])
    @has_access
    def create_contract(self, pk):
        back_to(url_for(".new_contract", pk=pk, parts=request.form.get("parts", "")))
        deal = db.session.get(Deal, pk)
        if deal is None:
            raise NotFound(_("No deal %(id)s.", id=pk))
        tax_rate = request.form.get("tax_rate") or "standard_10"
        if tax_rate not in TAX_RATE_LABELS:
            raise InvalidInput(_("Unknown tax rate."), field="tax_rate")
        milestones.create_contract(
            deal,
            parse_parts(request.form.get("parts", "")),
            g.user,
            amount=(request.form.get("amount") or "").strip() or None,
            tax_rate=tax_rate,
        )
        return redirect(url_for("DealView.show", pk=deal.id))

    def _act(self, pk, verb):
        default = url_for(".list")
        back_to(safe_next(default))
        part = db.session.get(Milestone, pk)
        if part is None:
            raise NotFound(_("No milestone %(id)s.", id=pk))
        verb(part)
        return redirect(safe_next(default))

    @expose("/done/<int:pk>", methods=["POST"])
    @has_access
    def mark_done(self, pk):
        return self._act(pk, lambda part: milestones.mark_done(part, g.user))

    @expose("/approve/<int:pk>", methods=["POST"])
    @has_access
    def approve_delivery(self, pk):
        return self._act(pk, lambda part: milestones.approve_delivery(part, g.user))

    @expose("/sendback/<int:pk>", methods=["POST"])
    @has_access
    def reject_delivery(self, pk):
        return self._act(pk, lambda part: milestones.reject_delivery(part, g.user))

    @expose("/invoice/<int:pk>", methods=["POST"])
    @has_access
    def invoice(self, pk):
        return self._act(pk, lambda part: milestones.invoice(part, g.user))
