"""Approval paths: none needed, amount rule, discount rule, approve, reject with reason, rights."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.models.documents import ApprovalRule
from app.services.documents import actions, approvals, issuing
from app.services.errors import Forbidden, InvalidInput
from tests.documents.conftest import line


def test_without_a_triggered_rule_submit_approves_at_once(db_session, sample, entity, users):
    doc = issuing.new_document("invoice", sample["sakura"], lines=[line()], user=users["sales"])
    approvals.submit(doc, users["sales"])
    assert doc.state == "approved"
    assert doc.approvals == []


def test_an_amount_at_the_threshold_goes_to_approval_and_is_approved(
    db_session, sample, entity, users, rules
):
    # 909,091 + 10 % tax (rounded down) = 1,000,000: at the threshold.
    doc = issuing.new_document(
        "invoice", sample["sakura"], lines=[line(price="909091")], user=users["accounting"]
    )
    assert doc.total == Decimal(1_000_000)
    approvals.submit(doc, users["accounting"])
    assert doc.state == "pending_approval"
    request = approvals.pending_request(doc)
    assert approvals.decode_reasons(request.reasons) == [
        {
            "rule": "高額",
            "kind": "amount",
            "value": "1000000",
            "limit": "1000000",
            "currency": "JPY",
        }
    ]
    assert request.requested_by == users["accounting"]
    actions.perform(doc, "approve", users["approver"], comment="OK")
    assert doc.state == "approved"
    assert request.decision == "approved"
    assert request.decided_by == users["approver"] and request.decided_at is not None


def test_just_below_the_amount_threshold_needs_no_approval(
    db_session, sample, entity, users, rules
):
    doc = issuing.new_document("invoice", sample["sakura"], lines=[line(price="909090")])
    approvals.submit(doc, users["accounting"])
    assert doc.total < Decimal(1_000_000) and doc.state == "approved"


def test_a_rule_in_another_currency_does_not_apply(db_session, sample, entity, users):
    db_session.add(ApprovalRule(name="USD big", currency="USD", min_amount=Decimal(10)))
    db_session.commit()
    doc = issuing.new_document("invoice", sample["sakura"], lines=[line(price="5000000")])
    approvals.submit(doc, users["accounting"])
    assert doc.state == "approved"


def test_a_big_discount_is_rejected_with_a_reason_the_requester_sees(
    db_session, sample, entity, users, rules
):
    doc = issuing.new_document(
        "quote", sample["sakura"], lines=[line(discount="25")], user=users["sales"]
    )
    approvals.submit(doc, users["sales"])
    assert doc.state == "pending_approval"
    assert approvals.decode_reasons(approvals.pending_request(doc).reasons) == [
        {"rule": "値引き", "kind": "discount", "value": "25", "limit": "20", "currency": None}
    ]
    with pytest.raises(InvalidInput) as refused:
        actions.perform(doc, "reject", users["approver"], comment="  ")
    assert refused.value.field == "comment"
    actions.perform(doc, "reject", users["approver"], comment="値引きは20%まで")
    assert doc.state == "draft"
    rejection = approvals.latest_rejection(doc)
    assert rejection.comment == "値引きは20%まで" and rejection.decided_by == users["approver"]
    # Fixed and resubmitted: no rule triggers, approved.
    doc.lines[0].discount_percent = Decimal(20)
    db_session.commit()
    approvals.submit(doc, users["sales"])
    assert doc.state == "approved"


def test_nobody_decides_their_own_request(db_session, sample, entity, users, rules):
    doc = issuing.new_document("invoice", sample["sakura"], lines=[line(discount="50")])
    approvals.submit(doc, users["admin"])
    with pytest.raises(Forbidden):
        actions.perform(doc, "approve", users["admin"])
    assert doc.state == "pending_approval"


@pytest.mark.parametrize("login", ["sales", "accounting", "readonly"])
def test_only_approvers_approve(db_session, sample, entity, users, rules, login):
    doc = issuing.new_document("invoice", sample["sakura"], lines=[line(discount="50")])
    approvals.submit(doc, users["admin"])
    with pytest.raises(Forbidden):
        actions.perform(doc, "approve", users[login])
    assert "approve" not in actions.available(users[login], doc)
    assert "approve" in actions.available(users["approver"], doc)
    assert doc.state == "pending_approval"


def test_submitting_an_empty_draft_is_refused(db_session, sample, entity, users):
    doc = issuing.new_document("invoice", sample["sakura"])
    with pytest.raises(InvalidInput) as refused:
        approvals.submit(doc, users["accounting"])
    assert refused.value.field == "lines" and doc.state == "draft"


def test_readonly_and_approver_may_not_submit_or_void(db_session, sample, entity, users):
    doc = issuing.new_document("invoice", sample["sakura"], lines=[line()])
    for login in ("readonly", "approver"):
        for action in ("submit", "void"):
            with pytest.raises(Forbidden):
                actions.perform(doc, action, users[login])
    assert doc.state == "draft"
