"""Deal rules: amounts derived from lines, probability from stage, refusals with reasons."""

from decimal import Decimal

import pytest
from sqlalchemy.exc import IntegrityError

from app.models.crm import Deal, DealLine
from app.services.errors import InvalidInput


def test_deal_amount_is_the_sum_of_its_lines(sample, db_session):
    deal = sample["with_lines"]
    # 300,000 × 1 + 1,080 × 20 less 10 % = 300,000 + 19,440
    assert [line.amount for line in deal.lines] == [Decimal("300000"), Decimal("19440")]
    assert deal.amount == Decimal("319440")
    assert deal.lines[1].name == "お弁当"  # filled from the product
    assert deal.lines[1].tax_rate == "reduced_8"


def test_changing_a_line_updates_the_deal(sample, db_session):
    deal = sample["with_lines"]
    deal.lines[0].quantity = Decimal(2)
    db_session.commit()
    assert deal.amount == Decimal("619440")
    db_session.delete(deal.lines[1])
    db_session.commit()
    db_session.refresh(deal)
    assert deal.amount == Decimal("600000")


def test_amount_only_deal_keeps_its_amount_rounded_to_currency(sample, db_session):
    deal = sample["amount_only"]
    assert deal.amount == Decimal("12000.50")
    assert deal.probability == 100  # won


def test_probability_follows_stage_unless_set(sample, db_session):
    deal = sample["with_lines"]
    assert deal.probability == 50
    deal.stage = "negotiation"
    db_session.commit()
    assert deal.probability == 70
    deal.stage = "proposal"
    deal.probability = 65
    db_session.commit()
    assert deal.probability == 65


def test_jpy_line_amount_has_no_minor_unit(sample, db_session):
    deal = sample["with_lines"]
    deal.lines.append(
        DealLine(
            position=3,
            name="端数",
            unit_price=Decimal("99.5"),
            quantity=Decimal(3),
            tax_rate="standard_10",
        )
    )
    db_session.commit()
    assert deal.lines[2].amount == Decimal("299")  # 298.5 rounded half-up to the yen


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("quantity", Decimal("-1"), "数量は0より大きい値にしてください。"),
        ("quantity", Decimal("0"), "数量は0より大きい値にしてください。"),
        ("unit_price", Decimal("-5"), "単価にマイナスは入力できません。"),
        ("discount_percent", Decimal("120"), "値引きは0〜100の％で入力してください。"),
        ("tax_rate", "twelve", "税率 twelve は使えません"),
    ],
)
def test_bad_line_is_refused_with_a_reason(sample, db_session, field, value, message):
    deal = sample["with_lines"]
    line = DealLine(
        position=9, name="x", unit_price=Decimal(1), quantity=Decimal(1), tax_rate="standard_10"
    )
    setattr(line, field, value)
    deal.lines.append(line)
    with pytest.raises(InvalidInput) as refused:
        db_session.flush()
    db_session.rollback()
    # the app speaks Japanese by default; the message names the problem and the field
    assert message in str(refused.value)
    assert refused.value.field == field


def test_database_refuses_what_the_rules_would(sample, db_session):
    """The check constraints hold even for SQL that bypasses the ORM rules."""
    deal_id = sample["with_lines"].id
    from sqlalchemy import text

    with pytest.raises(IntegrityError):
        db_session.execute(
            text(
                "INSERT INTO deal_line (deal_id, position, name, unit_price, quantity,"
                " discount_percent, tax_rate, amount)"
                " VALUES (:d, 1, 'x', 1, -1, 0, 'standard_10', 0)"
            ),
            {"d": deal_id},
        )
    db_session.rollback()


def test_negative_contract_amount_refused(sample, db_session):
    deal = Deal(
        title="neg", company=sample["acme"], stage="lead", currency="JPY", amount=Decimal("-1")
    )
    db_session.add(deal)
    with pytest.raises(InvalidInput, match="契約金額にマイナスは入力できません"):
        db_session.flush()
    db_session.rollback()
