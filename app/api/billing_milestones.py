"""REST API of milestone contracts (resource Milestone; verbs in permissions.MILESTONE_VERBS).

GET  /api/v1/milestone/deal/<pk>        the deal's contract, parts and billed/due/remaining
POST /api/v1/milestone/deal/<pk>        {amount?, tax_rate?, parts: [{kind, name,
                                         amount | percent}]}: make the contract (write)
POST /api/v1/milestone/<pk>/done        the delivery is done (mark_done)
POST /api/v1/milestone/<pk>/approve     another person approves it (approve)
POST /api/v1/milestone/<pk>/invoice     the part's invoice, once (invoice)
"""

from __future__ import annotations

from flask import g
from flask_appbuilder.api import expose, protect, safe
from flask_babel import gettext as _

from app.api.base import json_body
from app.api.billing_base import BillingApi, money, number, record, text
from app.api.refusals import answered
from app.models.choices import TAX_RATES
from app.models.crm import Deal
from app.models.milestones import Milestone
from app.security.permissions import MILESTONE_VERBS
from app.services.billing import milestones
from app.services.errors import InvalidInput

_PK = """
          parameters:
          - in: path
            name: pk
            required: true
            schema:
              type: integer"""


def part_json(part: Milestone) -> dict:
    return {
        "id": part.id,
        "position": part.position,
        "kind": part.kind,
        "name": part.name,
        "percent": money(part.percent),
        "amount": money(part.amount),
        "state": part.state,
        "done_by_id": part.done_by_id,
        "approved_by_id": part.approved_by_id,
        "document_id": part.document_id,
        "document_state": part.document.state if part.document is not None else None,
    }


def _parts(value) -> list[dict]:
    if not isinstance(value, list) or not all(isinstance(p, dict) for p in value):
        raise InvalidInput(_("Give the parts as a list of objects."), field="parts")
    parts = []
    for part in value:
        made = {"kind": text(part.get("kind"), "parts"), "name": text(part.get("name"), "parts")}
        for key in ("amount", "percent"):
            if part.get(key) is not None:
                made[key] = number(part[key], "parts")
        parts.append(made)
    return parts


class MilestoneApi(BillingApi):
    resource_name = "milestone"
    class_permission_name = "Milestone"
    method_permission_name = MILESTONE_VERBS
    openapi_spec_tag = "Milestones"

    def _deal(self, pk) -> Deal:
        return record(Deal, pk, _("No deal %(id)s.", id=pk))

    def _part(self, pk) -> Milestone:
        return record(Milestone, pk, _("No milestone %(id)s.", id=pk))

    @expose("/milestone/deal/<int:pk>", methods=["GET"])
    @protect()
    @safe
    @answered(check_csrf=False)
    def deal_milestones(self, pk):
        """The deal's milestone contract: its parts, billed, due and remaining.
        ---
        get:{pk}
          responses:
            200:
              description: The contract (null when the deal has none)
            401:
              $ref: '#/components/responses/401'
            403:
              $ref: '#/components/responses/403'
            404:
              $ref: '#/components/responses/404'
        """
        deal = self._deal(pk)
        contract = milestones.contract_of(deal.id)
        if contract is None:
            return self.response(200, contract=None)
        summary = {
            k: (money(v) if k != "currency" else v) for k, v in milestones.summary(contract).items()
        }
        return self.response(
            200,
            contract={"id": contract.id, "tax_rate": contract.tax_rate, **summary},
            parts=[part_json(p) for p in contract.parts],
        )

    @expose("/milestone/deal/<int:pk>", methods=["POST"])
    @protect()
    @safe
    @answered
    def create_contract(self, pk):
        """Make the deal's milestone contract (once per deal).
        ---
        post:{pk}
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [parts]
                  properties:
                    amount:
                      type: string
                      description: Contract amount before tax (default the deal's amount)
                    tax_rate:
                      type: string
                      enum: [standard_10, reduced_8, exempt]
                    parts:
                      type: array
                      items:
                        type: object
                        properties:
                          kind:
                            type: string
                            enum: [deposit, milestone, final]
                          name:
                            type: string
                          amount:
                            type: string
                          percent:
                            type: string
          responses:
            201:
              description: The contract and its parts
            400:
              $ref: '#/components/responses/400'
            401:
              $ref: '#/components/responses/401'
            403:
              $ref: '#/components/responses/403'
            404:
              $ref: '#/components/responses/404'
            422:
              $ref: '#/components/responses/422'
        """
        deal = self._deal(pk)
        data = json_body()
        tax_rate = text(data.get("tax_rate"), "tax_rate") or "standard_10"
        if tax_rate not in TAX_RATES:
            raise InvalidInput(_("Unknown tax rate."), field="tax_rate")
        amount = data.get("amount")
        contract = milestones.create_contract(
            deal,
            _parts(data.get("parts")),
            g.user,
            amount=None if amount is None else number(amount, "amount"),
            tax_rate=tax_rate,
        )
        return self.response(201, id=contract.id, parts=[part_json(p) for p in contract.parts])

    def _verb(self, pk, verb):
        part = verb(self._part(pk), g.user)
        return self.response(200, **part_json(part))

    @expose("/milestone/<int:pk>/done", methods=["POST"])
    @protect()
    @safe
    @answered
    def mark_done(self, pk):
        """Mark the part's delivery done.
        ---
        post:{pk}
          responses:
            200:
              description: The part
            401:
              $ref: '#/components/responses/401'
            403:
              $ref: '#/components/responses/403'
            404:
              $ref: '#/components/responses/404'
            422:
              $ref: '#/components/responses/422'
        """
        return self._verb(pk, milestones.mark_done)

    @expose("/milestone/<int:pk>/approve", methods=["POST"])
    @protect()
    @safe
    @answered
    def approve_delivery(self, pk):
        """Approve the delivery someone else marked done.
        ---
        post:{pk}
          responses:
            200:
              description: The part
            401:
              $ref: '#/components/responses/401'
            403:
              $ref: '#/components/responses/403'
            404:
              $ref: '#/components/responses/404'
            422:
              $ref: '#/components/responses/422'
        """
        return self._verb(pk, milestones.approve_delivery)

    @expose("/milestone/<int:pk>/invoice", methods=["POST"])
    @protect()
    @safe
    @answered
    def invoice(self, pk):
        """Invoice the part (once; a deposit at once, others when done and approved).
        ---
        post:{pk}
          responses:
            201:
              description: The invoice made
            401:
              $ref: '#/components/responses/401'
            403:
              $ref: '#/components/responses/403'
            404:
              $ref: '#/components/responses/404'
            422:
              $ref: '#/components/responses/422'
        """
        document = milestones.invoice(self._part(pk), g.user)
        return self.response(
            201, document_id=document.id, number=document.number, state=document.state
        )


for _name in ("deal_milestones", "create_contract", "mark_done", "approve_delivery", "invoice"):
    _method = getattr(MilestoneApi, _name)
    _method.__doc__ = _method.__doc__.replace("{pk}", _PK)
