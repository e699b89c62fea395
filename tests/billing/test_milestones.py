"""Milestone contracts: the split (amounts, percentages, the rounding remainder on the
final payment), the gate (done, then approved by someone else) and one invoice a part."""

from __future__ import annotations

from decimal import Decimal

import pytest
from flask_babel import force_locale

from app.models.documents import Document
from app.services.billing import milestones
from app.services.documents import actions
from app.services.errors import Forbidden, InvalidInput

PARTS = [
    {"kind": "deposit", "name": "着手金", "percent": "30"},
    {"kind": "milestone", "name": "設計", "amount": "300000"},
    {"kind": "final", "name": "検収", "percent": "40"},
]


def test_split_with_amounts_and_percentages():
    made = milestones.split(Decimal(1_000_000), "JPY", PARTS)
    assert [p["amount"] for p in made] == [300000, 300000, 400000]
    assert made[0]["percent"] == 30 and made[1]["percent"] is None


@pytest.mark.parametrize(
    "rounding, amounts", [("down", [33333, 33333, 33334]), ("up", [33334, 33334, 33332])]
)
def test_percentages_round_by_the_issuer_and_the_remainder_goes_to_the_final(rounding, amounts):
    parts = [
        {"kind": "deposit", "name": "a", "percent": "33.3333"},
        {"kind": "milestone", "name": "b", "percent": "33.3333"},
        {"kind": "final", "name": "c", "percent": "33.3334"},
    ]
    made = milestones.split(Decimal(100_000), "JPY", parts, rounding)
    assert [p["amount"] for p in made] == amounts
    assert sum(p["amount"] for p in made) == 100_000


def test_usd_rounds_to_cents_and_sums_exactly():
    parts = [
        {"kind": "milestone", "name": "a", "percent": "33.3333"},
        {"kind": "final", "name": "b", "percent": "66.6667"},
    ]
    made = milestones.split(Decimal("1000.01"), "USD", parts, "half_up")
    assert made[0]["amount"] == Decimal("333.34")
    assert sum(p["amount"] for p in made) == Decimal("1000.01")


@pytest.mark.parametrize(
    "parts, words",
    [
        (
            [
                {"kind": "deposit", "name": "a", "amount": 100},
                {"kind": "final", "name": "b", "amount": 800},
            ],
            "less than",
        ),
        (
            [
                {"kind": "deposit", "name": "a", "percent": 50},
                {"kind": "final", "name": "b", "percent": 60},
            ],
            "more than",
        ),
    ],
)
def test_parts_that_do_not_add_up_are_refused_naming_the_difference(app, parts, words):
    with app.test_request_context(), force_locale("en"):
        with pytest.raises(InvalidInput) as refused:
            milestones.split(Decimal(1000), "JPY", parts)
    message = str(refused.value)
    assert words in message and "100" in message, message


@pytest.mark.parametrize(
    "parts",
    [
        [],
        [{"kind": "deposit", "name": "a", "amount": 1000}],  # no final
        [
            {"kind": "final", "name": "a", "amount": 500},
            {"kind": "deposit", "name": "b", "amount": 500},
        ],
        [{"kind": "final", "name": "a", "amount": 1000, "percent": 100}],  # both
        [{"kind": "final", "name": "", "amount": 1000}],
        [{"kind": "bonus", "name": "a", "amount": 1000}],
        [{"kind": "final", "name": "a", "percent": 0}],
        [{"kind": "final", "name": "a", "amount": "abc"}],
    ],
)
def test_malformed_parts_are_refused(app, parts):
    with app.test_request_context(), pytest.raises(InvalidInput):
        milestones.split(Decimal(1000), "JPY", parts)


def _contract(deal, users):
    return milestones.create_contract(deal, PARTS, users["sales"])


def test_one_contract_per_deal(db_session, deal, users):
    _contract(deal, users)
    with pytest.raises(InvalidInput):
        _contract(deal, users)


def test_the_gate_done_then_approved_by_someone_else(db_session, deal, users):
    contract = _contract(deal, users)
    deposit, design, final = contract.parts
    with pytest.raises(InvalidInput):  # not done
        milestones.invoice(design, users["accounting"])
    milestones.mark_done(design, users["sales"])
    with pytest.raises(InvalidInput):  # done, not approved
        milestones.invoice(design, users["accounting"])
    with pytest.raises(Forbidden):  # self-approval
        milestones.approve_delivery(design, users["sales"])
    with pytest.raises(InvalidInput):
        milestones.mark_done(design, users["sales"])  # twice
    milestones.approve_delivery(design, users["approver"])
    document = milestones.invoice(design, users["accounting"])
    assert document.kind == "invoice" and document.deal_id == deal.id
    assert document.state == "approved" and document.number
    assert [line.unit_price for line in document.lines] == [300000]
    assert design.document_id == document.id and design.state == "invoiced"
    with pytest.raises(InvalidInput):  # once
        milestones.invoice(design, users["accounting"])
    # the deposit needs no delivery
    assert milestones.invoice(deposit, users["accounting"]).total == Decimal(330000)
    summary = milestones.summary(contract)
    assert (summary["billed"], summary["remaining"]) == (600000, 400000)
    assert summary["due"] == Decimal(660000)  # tax included, nothing paid


def test_a_voided_invoice_makes_the_part_billable_again(db_session, deal, users):
    contract = _contract(deal, users)
    deposit = contract.parts[0]
    first = milestones.invoice(deposit, users["accounting"])
    actions.perform(first, "void", users["admin"], comment="wrong")
    assert milestones.summary(contract)["billed"] == 0
    second = milestones.invoice(deposit, users["accounting"])
    assert second.id != first.id and deposit.document_id == second.id
    live = db_session.query(Document).filter(Document.state != "void").count()
    assert live == 1


def test_the_schema_refuses_self_approval_and_a_link_without_the_state(db_session, deal, users):
    import sqlalchemy as sa

    contract = _contract(deal, users)
    part = contract.parts[1]
    uid = users["sales"].id
    with pytest.raises(sa.exc.IntegrityError):
        db_session.execute(
            sa.text(
                "UPDATE milestone SET state='approved', done_by_id=:u, approved_by_id=:u "
                "WHERE id=:id"
            ),
            {"u": uid, "id": part.id},
        )
        db_session.flush()
    db_session.rollback()
