"""B2B milestone contracts: split, gate (done, then approved by another), invoice once.

Rules (tests/billing/test_milestones*.py):
- A contract has at most one deposit (first), any milestones, and exactly one final
  payment (last). Each part is an amount or a percentage of the contract amount.
- The parts must add up exactly to the contract amount (percentages counted exactly);
  otherwise the refusal names the difference. Percentages are then turned into amounts
  with the issuer's rounding (its tax rounding mode) to the currency's minor unit, and
  the rounding remainder goes onto the final payment, so Σ parts = contract, always.
- A deposit is billable at once (there is no delivery to wait for). A milestone or the
  final payment is billable only once its delivery was marked done and that was
  approved by someone else (the schema's ck_milestone_four_eyes holds it too).
- Invoicing locks the part's row, re-checks, makes one ordinary invoice (submitted for
  approval like any other) and links it; N requests at once make one invoice, the
  others are refused. A part whose invoice was voided is billable again (its state
  stays "invoiced" and the next invoice replaces the link; the void one keeps its
  trail line naming the part).
"""

from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext as _

from app.extensions import db
from app.models.crm import Deal, utcnow
from app.models.documents import Document
from app.models.milestones import PART_KINDS, Milestone, MilestoneContract
from app.services.billing.common import issuer_rounding, make_invoice, still_billed
from app.services.documents import payments
from app.services.documents.transaction import locked
from app.services.errors import Forbidden, InvalidInput
from app.services.money import check_decimal, check_money, format_money, round_money

HUNDRED = Decimal(100)


def _number(value, field: str, label: str) -> Decimal:
    return check_decimal(value, field, label)


def split(amount, currency: str, parts: list[dict], rounding: str = "down") -> list[dict]:
    """The parts as amounts: ``parts`` are dicts with kind, name and amount or percent.

    Refuses (InvalidInput) a wrong order of kinds, a part with both or neither of amount
    and percent, and parts that do not add up to ``amount`` (naming the difference).
    """
    amount = check_money(amount, currency, "amount", _("Contract amount"))
    if amount <= 0:
        raise InvalidInput(_("The contract amount must be more than zero."), field="amount")
    if not parts:
        raise InvalidInput(_("Give at least the final payment."), field="parts")
    kinds = [p.get("kind") for p in parts]
    if any(k not in PART_KINDS for k in kinds):
        raise InvalidInput(
            _("A part is a deposit, a milestone or the final payment."), field="parts"
        )
    if kinds.count("final") != 1 or kinds[-1] != "final":
        raise InvalidInput(_("Exactly one final payment, as the last part."), field="parts")
    if kinds.count("deposit") > 1 or ("deposit" in kinds and kinds[0] != "deposit"):
        raise InvalidInput(_("At most one deposit, as the first part."), field="parts")
    exact_total = Decimal(0)
    made = []
    for index, part in enumerate(parts, start=1):
        name = str(part.get("name") or "").strip()
        if not name:
            raise InvalidInput(_("Part %(n)s needs a name.", n=index), field="parts")
        has_amount = part.get("amount") not in (None, "")
        has_percent = part.get("percent") not in (None, "")
        if has_amount == has_percent:
            raise InvalidInput(
                _("Part %(n)s: give an amount or a percentage, not both.", n=index),
                field="parts",
            )
        if has_percent:
            percent = _number(part["percent"], "parts", _("Percentage"))
            if not 0 < percent <= HUNDRED:
                raise InvalidInput(
                    _("Part %(n)s: a percentage is more than 0 and at most 100.", n=index),
                    field="parts",
                )
            exact = amount * percent / HUNDRED
            value = round_money(exact, currency, rounding)
        else:
            percent = None
            value = check_money(part["amount"], currency, "parts", _("Amount"))
            if value <= 0:
                raise InvalidInput(
                    _("Part %(n)s: the amount must be more than zero.", n=index), field="parts"
                )
            exact = value
        exact_total += exact
        made.append({"kind": part["kind"], "name": name, "percent": percent, "amount": value})
    if exact_total != amount:
        difference = abs(exact_total - amount)
        words = (
            _(
                "The parts add up to %(sum)s, %(diff)s less than the contract amount %(total)s.",
                sum=format_money(exact_total, currency),
                diff=format_money(difference, currency),
                total=format_money(amount, currency),
            )
            if exact_total < amount
            else _(
                "The parts add up to %(sum)s, %(diff)s more than the contract amount %(total)s.",
                sum=format_money(exact_total, currency),
                diff=format_money(difference, currency),
                total=format_money(amount, currency),
            )
        )
        raise InvalidInput(words, field="parts")
    # the rounding remainder onto the final payment: the sum is exact
    made[-1]["amount"] = amount - sum(p["amount"] for p in made[:-1])
    if made[-1]["amount"] <= 0:
        raise InvalidInput(_("The final payment must be more than zero."), field="parts")
    return made


def create_contract(
    deal: Deal,
    parts: list[dict],
    user,
    *,
    amount=None,
    tax_rate: str = "standard_10",
    commit: bool = True,
) -> MilestoneContract:
    """The deal's milestone contract (one per deal), its parts checked by ``split``."""
    amount = deal.amount if amount in (None, "") else amount
    with locked(deal):
        if db.session.query(MilestoneContract.id).filter_by(deal_id=deal.id).first():
            raise InvalidInput(_("This deal already has a milestone contract."), field="deal")
        made = split(amount, deal.currency, parts, issuer_rounding())
        contract = MilestoneContract(
            deal=deal,
            amount=check_money(amount, deal.currency, "amount", _("Contract amount")),
            currency=deal.currency,
            tax_rate=tax_rate,
            created_by=user,
        )
        for position, part in enumerate(made, start=1):
            contract.parts.append(Milestone(position=position, state="pending", **part))
        db.session.add(contract)
        if commit:
            db.session.commit()
        else:
            db.session.flush()
    return contract


def _user_id(user):
    return getattr(user, "id", None)


def mark_done(milestone: Milestone, user) -> Milestone:
    """The delivery of ``milestone`` is done (step one of two)."""
    with locked(milestone):
        if milestone.kind == "deposit":
            raise InvalidInput(_("A deposit has no delivery to mark done."), field="state")
        if milestone.state != "pending":
            raise InvalidInput(_("This delivery is already marked done."), field="state")
        milestone.state = "done"
        milestone.done_by_id = _user_id(user)
        milestone.done_at = utcnow()
        db.session.commit()
    return milestone


def approve_delivery(milestone: Milestone, user) -> Milestone:
    """Someone other than who marked it done approves the delivery (step two)."""
    with locked(milestone):
        if milestone.state != "done":
            raise InvalidInput(_("Only a delivery marked done can be approved."), field="state")
        if milestone.done_by_id is not None and milestone.done_by_id == _user_id(user):
            raise Forbidden(_("You marked this delivery done: someone else must approve it."))
        milestone.state = "approved"
        milestone.approved_by_id = _user_id(user)
        milestone.approved_at = utcnow()
        db.session.commit()
    return milestone


def reject_delivery(milestone: Milestone, user) -> Milestone:
    """Send a delivery marked done back to pending (not accepted)."""
    with locked(milestone):
        if milestone.state != "done":
            raise InvalidInput(_("Only a delivery marked done can be sent back."), field="state")
        if milestone.done_by_id == _user_id(user):
            raise Forbidden(_("You marked this delivery done: someone else must decide."))
        milestone.state = "pending"
        milestone.done_by_id = None
        milestone.done_at = None
        db.session.commit()
    return milestone


def refusal(milestone: Milestone) -> str | None:
    """Why ``milestone`` cannot be invoiced now, in words; None when it can."""
    if milestone.state == "invoiced":
        if still_billed(milestone.document):
            return _(
                "%(name)s is already invoiced (%(number)s).",
                name=milestone.name,
                number=milestone.document.number or milestone.document_id,
            )
        return None  # its invoice was voided: billable again
    if milestone.kind == "deposit":
        return None
    if milestone.state == "pending":
        return _("%(name)s: its delivery is not marked done yet.", name=milestone.name)
    if milestone.state == "done":
        return _("%(name)s: its delivery is marked done but not approved yet.", name=milestone.name)
    return None


def invoice(milestone: Milestone, user) -> Document:
    """One invoice for ``milestone``, under its row lock; refused when not billable."""
    with locked(milestone):
        why = refusal(milestone)
        if why:
            raise InvalidInput(why, field="state")
        contract = milestone.contract
        deal = contract.deal
        line = {
            "name": f"{deal.title} — {milestone.name}"[:200],
            "unit_price": milestone.amount,
            "quantity": Decimal(1),
            "tax_rate": contract.tax_rate,
        }
        note = _(
            "Made from %(part)s of the milestone contract of deal %(deal)s.",
            part=milestone.name,
            deal=deal.title,
        )
        document = make_invoice(deal, [line], user, note, contract.currency)
        milestone.state = "invoiced"
        milestone.document_id = document.id
        milestone.invoiced_at = utcnow()
        db.session.commit()
    return document


def contract_of(deal_id: int) -> MilestoneContract | None:
    return db.session.query(MilestoneContract).filter_by(deal_id=deal_id).one_or_none()


def summary(contract: MilestoneContract) -> dict:
    """What is billed (net, by the parts), due (billed, unpaid: the invoices' balances,
    tax included) and remains (not yet billed, net)."""
    billed_parts = [p for p in contract.parts if still_billed(p.document)]
    billed = sum((Decimal(p.amount) for p in billed_parts), Decimal(0))
    due = sum(
        (payments.balance(p.document) for p in billed_parts if p.document.state != "draft"),
        Decimal(0),
    )
    return {
        "amount": Decimal(contract.amount),
        "billed": billed,
        "due": due,
        "remaining": Decimal(contract.amount) - billed,
        "currency": contract.currency,
    }
