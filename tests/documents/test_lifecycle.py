"""Lifecycle: every allowed transition works, every other one is refused with what is allowed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.models.documents import DOCUMENT_STATES, Document, DocumentLine
from app.services.documents import issuing, lifecycle
from app.services.errors import InvalidInput
from tests.documents.conftest import line

PAIRS = [(a, b) for a in DOCUMENT_STATES for b in DOCUMENT_STATES if a != b]


def _force_state(db_session, document, state):
    """Put a document in ``state`` behind the rules' back (setting up a test only)."""
    db_session.execute(sa.update(Document).where(Document.id == document.id).values(state=state))
    db_session.commit()
    db_session.refresh(document)


@pytest.mark.parametrize(("source", "target"), PAIRS)
def test_each_transition_is_allowed_or_refused_as_the_table_says(
    db_session, sample, entity, source, target
):
    invoice = issuing.new_document("invoice", sample["sakura"], lines=[line()])
    _force_state(db_session, invoice, source)
    allowed = target in lifecycle.TRANSITIONS[source]
    invoice.state = target
    if allowed:
        db_session.commit()
        db_session.refresh(invoice)
        assert invoice.state == target
    else:
        with pytest.raises(InvalidInput) as refused:
            db_session.commit()
        db_session.rollback()
        message = str(refused.value)
        assert str(lifecycle.STATE_LABELS[target]) in message
        for name in lifecycle.TRANSITIONS[source]:
            assert str(lifecycle.STATE_LABELS[name]) in message
        db_session.refresh(invoice)
        assert invoice.state == source


def test_payment_states_exist_only_for_invoices(db_session, sample, entity):
    quote = issuing.new_document("quote", sample["sakura"], lines=[line()])
    _force_state(db_session, quote, "sent")
    assert "paid" not in lifecycle.allowed_next(quote)
    with pytest.raises(InvalidInput) as refused:
        lifecycle.move(quote, "paid")
    assert refused.value.field == "state"


def test_a_new_document_must_start_as_a_draft(db_session, sample, entity):
    db_session.add(
        Document(
            kind="invoice",
            company=sample["sakura"],
            legal_entity=entity,
            recipient_name="x",
            state="sent",
        )
    )
    with pytest.raises(InvalidInput) as refused:
        db_session.commit()
    assert refused.value.field == "state"
    db_session.rollback()


def test_numbers_are_gapless_per_kind_and_a_rollback_gives_its_number_back(
    db_session, sample, entity
):
    first = issuing.new_document("invoice", sample["sakura"], lines=[line()])
    n = int(first.number.removeprefix("INV-"))
    issuing.new_document("quote", sample["sakura"], lines=[line()])  # another kind's counter
    with pytest.raises(InvalidInput):  # refused at flush: the number is not spent
        issuing.new_document("invoice", sample["sakura"], lines=[line(rate="bad")])
    db_session.rollback()
    db_session.add(
        Document(kind="invoice", company=sample["sakura"], legal_entity=entity, recipient_name="x")
    )
    db_session.flush()
    db_session.rollback()  # given at INSERT, then rolled back with it
    second = issuing.new_document("invoice", sample["sakura"], lines=[line()])
    quote = issuing.new_document("quote", sample["sakura"], lines=[line()])
    assert second.number == f"INV-{n + 1:06d}"
    assert quote.number.startswith("QT-") and first.lines[0].position == 1


def test_totals_round_tax_once_per_rate_with_the_entitys_choice(db_session, sample, entity):
    lines = [line(price="333", rate="standard_10")] * 3 + [line(price="105", rate="reduced_8")]
    doc = issuing.new_document("invoice", sample["sakura"], lines=lines)
    # 10 %: 999 → 99.9 → 99 (down, once); 8 %: 105 → 8.4 → 8. Per line it would be 33×3+8.
    assert doc.subtotal == Decimal(1104)
    assert doc.tax == Decimal(107)
    assert doc.total == Decimal(1211)
    entity.tax_rounding = "up"
    db_session.commit()
    doc2 = issuing.new_document("invoice", sample["sakura"], lines=lines)
    assert doc2.tax == Decimal(100 + 9)


def test_a_sent_document_is_not_edited_in_place(db_session, sample, entity):
    doc = issuing.new_document("invoice", sample["sakura"], lines=[line()])
    _force_state(db_session, doc, "sent")
    doc.terms = "60日"
    with pytest.raises(InvalidInput) as refused:
        db_session.commit()
    assert refused.value.field == "terms"
    assert doc.number in str(refused.value)
    db_session.rollback()
    doc.lines.append(DocumentLine(name="追加", unit_price=Decimal(1), quantity=Decimal(1)))
    with pytest.raises(InvalidInput) as refused:
        db_session.commit()
    assert refused.value.field == "lines"
    db_session.rollback()
    doc.lines[0].quantity = Decimal(5)
    with pytest.raises(InvalidInput):
        db_session.commit()
    db_session.rollback()
    db_session.refresh(doc)
    assert doc.total == Decimal(110000) and len(doc.lines) == 1


def test_a_draft_is_edited_and_its_totals_follow(db_session, sample, entity):
    doc = issuing.new_document("invoice", sample["sakura"], lines=[line()])
    doc.lines[0].quantity = Decimal(2)
    doc.lines.append(
        DocumentLine(
            name="お弁当", unit_price=Decimal(1000), quantity=Decimal(3), tax_rate="reduced_8"
        )
    )
    db_session.commit()
    assert doc.subtotal == Decimal(203000)
    assert doc.tax == Decimal(20000 + 240)


def test_overdue_is_derived_from_the_due_date_in_tokyo(db_session, sample, entity):
    doc = issuing.new_document(
        "invoice",
        sample["sakura"],
        lines=[line()],
        due_date=dt.date(2026, 11, 30),
        issue_date=dt.date(2026, 11, 1),
    )
    _force_state(db_session, doc, "sent")
    assert not lifecycle.is_overdue(doc, today=dt.date(2026, 11, 30))
    assert lifecycle.is_overdue(doc, today=dt.date(2026, 12, 1))
    assert lifecycle.display_state(doc, today=dt.date(2026, 12, 1)) == "overdue"
    _force_state(db_session, doc, "paid")
    assert not lifecycle.is_overdue(doc, today=dt.date(2026, 12, 1))


def test_bad_input_is_refused_naming_the_field_and_nothing_is_saved(db_session, sample, entity):
    attempts = [
        ({"lines": [line(rate="standard_12")]}, "tax_rate"),
        ({"lines": [line(price="-5")]}, "unit_price"),
        ({"lines": [line(qty="0")]}, "quantity"),
        ({"lines": [line(discount="120")]}, "discount_percent"),
        (
            {
                "lines": [line()],
                "issue_date": dt.date(2026, 12, 1),
                "due_date": dt.date(2026, 11, 1),
            },
            "due_date",
        ),
    ]
    for fields, field in attempts:
        with pytest.raises(InvalidInput) as refused:
            issuing.new_document("invoice", sample["sakura"], **fields)
        assert refused.value.field == field
        assert str(refused.value)
        db_session.rollback()
    entity.registration_number = "T5835678256247"  # wrong check digit
    with pytest.raises(InvalidInput) as refused:
        db_session.commit()
    assert refused.value.field == "registration_number"
    db_session.rollback()
    assert db_session.query(Document).count() == 0
