"""Qualified-invoice tax: rounded once per rate per invoice, with the issuer's mode."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.services.errors import InvalidInput
from app.services.tax import TaxLine, compute_totals

D = Decimal


def _line(net, code):
    return TaxLine(D(net), code)


# ---- worked by hand -----------------------------------------------------------------


def test_three_reduced_lines_are_taxed_once_not_per_line():
    # 999 × 0.08 = 79.92 → 79 (down); per line would be 3 × floor(26.64) = 78.
    totals = compute_totals([_line(333, "reduced_8")] * 3, "JPY", "down")
    group = totals.rate("reduced_8")
    assert (group.net, group.tax, group.reduced) == (D(999), D(79), True)
    assert (totals.net, totals.tax, totals.gross) == (D(999), D(79), D(1078))
    assert totals.line_reduced == (True, True, True) and totals.has_reduced


@pytest.mark.parametrize(
    ("mode", "tax8", "tax10"),
    # 8 %: 1,234 × 0.08 = 98.72; 10 %: 1,005 × 0.10 = 100.5
    [("down", 98, 100), ("half_up", 99, 101), ("up", 99, 101)],
)
def test_each_rounding_mode_jpy(mode, tax8, tax10):
    lines = [_line(1000, "reduced_8"), _line(234, "reduced_8"), _line(1005, "standard_10")]
    totals = compute_totals(lines, "JPY", mode)
    assert totals.rate("reduced_8").tax == D(tax8)
    assert totals.rate("standard_10").tax == D(tax10)
    assert totals.tax == D(tax8 + tax10)
    assert totals.gross == D(2239 + tax8 + tax10)


def test_exact_tax_is_the_same_in_every_mode():
    for mode in ("down", "half_up", "up"):
        assert compute_totals([_line(1200, "standard_10")], "JPY", mode).tax == D(120)


@pytest.mark.parametrize(
    ("mode", "tax"),
    # 8 %: 12.34 + 0.01 = 12.35 × 0.08 = 0.988 → 0.98 / 0.99 / 0.99
    [("down", "0.98"), ("half_up", "0.99"), ("up", "0.99")],
)
def test_usd_rounds_to_cents(mode, tax):
    totals = compute_totals([_line("12.34", "reduced_8"), _line("0.01", "reduced_8")], "USD", mode)
    assert totals.rate("reduced_8").net == D("12.35")
    assert totals.tax == D(tax)
    assert totals.gross == D("12.35") + D(tax)
    assert str(totals.tax) == tax  # two decimals, not "0.988" or "1"


def test_usd_half_up_on_an_exact_half_cent():
    # 10.05 × 0.10 = 1.005 → 1.00 down, 1.01 half-up, 1.01 up
    got = {
        m: compute_totals([_line("10.05", "standard_10")], "USD", m).tax
        for m in ("down", "half_up", "up")
    }
    assert got == {"down": D("1.00"), "half_up": D("1.01"), "up": D("1.01")}


def test_exempt_is_its_own_group_with_zero_tax():
    totals = compute_totals(
        [_line(200, "exempt"), _line(1000, "standard_10"), _line(500, "exempt")], "JPY", "up"
    )
    assert [r.rate_code for r in totals.rates] == ["standard_10", "exempt"]
    exempt = totals.rate("exempt")
    assert (exempt.net, exempt.tax, exempt.reduced) == (D(700), D(0), False)
    assert (totals.net, totals.tax, totals.gross) == (D(1700), D(100), D(1800))
    assert not totals.has_reduced and totals.rate("reduced_8") is None


def test_rates_in_display_order_and_marks_follow_the_lines():
    totals = compute_totals(
        [(D(108), "reduced_8"), (D(0), "exempt"), (D(110), "standard_10")], "JPY"
    )
    assert [r.rate_code for r in totals.rates] == ["standard_10", "reduced_8", "exempt"]
    assert totals.line_reduced == (True, False, False)


def test_empty_invoice_is_zero():
    totals = compute_totals([], "JPY")
    assert totals.rates == () and totals.gross == D(0)


def test_a_discount_line_is_fine_while_the_rate_total_stays_positive():
    totals = compute_totals([_line(1000, "standard_10"), _line(-300, "standard_10")], "JPY")
    assert totals.tax == D(70)


# ---- refusals -----------------------------------------------------------------------


def test_unknown_rate_is_refused_with_its_line_number():
    with pytest.raises(InvalidInput, match=r"Line 2 .*'standard_5'") as err:
        compute_totals([_line(1, "standard_10"), _line(1, "standard_5")], "JPY")
    assert err.value.field == "tax_rate"


def test_unknown_rounding_is_refused():
    with pytest.raises(InvalidInput, match="rounding"):
        compute_totals([_line(1, "standard_10")], "JPY", "banker")


def test_float_amount_is_refused():
    with pytest.raises(InvalidInput, match="Decimal"):
        compute_totals([TaxLine(0.1, "standard_10")], "JPY")


def test_negative_total_is_refused_unless_a_credit_note():
    lines = [_line(-1000, "standard_10"), _line(-333, "reduced_8")]
    with pytest.raises(InvalidInput, match="negative"):
        compute_totals(lines, "JPY")
    credit = compute_totals(lines, "JPY", "down", allow_negative=True)
    # Down is toward zero, symmetric with the invoice: -26.64 → -26.
    assert credit.rate("reduced_8").tax == D(-26)
    assert (credit.net, credit.tax, credit.gross) == (D(-1333), D(-126), D(-1459))


# ---- property-based, against an independent computation -----------------------------

_RATES = {"standard_10": Fraction(1, 10), "reduced_8": Fraction(2, 25), "exempt": Fraction(0)}
_SCALE = {"JPY": 1, "USD": 100}


def _round_fraction(value: Fraction, mode: str) -> int:
    """Round a non-negative Fraction to an integer in integer arithmetic."""
    whole, rest = divmod(value.numerator, value.denominator)
    if rest == 0 or mode == "down":
        return whole
    if mode == "up":
        return whole + 1
    return whole + (1 if 2 * rest >= value.denominator else 0)


def _oracle(minor_lines: list[tuple[int, str]], currency: str, mode: str):
    """Tax per rate in minor units: sum the integers, multiply by a Fraction, round."""
    per_rate: dict[str, int] = {}
    for amount, code in minor_lines:
        per_rate[code] = per_rate.get(code, 0) + amount
    return {
        code: (net, _round_fraction(net * _RATES[code], mode)) for code, net in per_rate.items()
    }


_invoices = st.tuples(
    st.sampled_from(["JPY", "USD"]),
    st.sampled_from(["down", "half_up", "up"]),
    st.lists(
        st.tuples(st.integers(0, 10**9), st.sampled_from(list(_RATES))), min_size=1, max_size=30
    ),
)


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_invoices)
def test_matches_an_independent_integer_computation(invoice):
    currency, mode, minor_lines = invoice
    scale = _SCALE[currency]
    lines = [TaxLine(D(amount) / scale, code) for amount, code in minor_lines]
    totals = compute_totals(lines, currency, mode)
    expected = _oracle(minor_lines, currency, mode)

    assert {r.rate_code for r in totals.rates} == set(expected)
    for group in totals.rates:
        net_minor, tax_minor = expected[group.rate_code]
        assert group.net * scale == net_minor
        assert group.tax * scale == tax_minor
        assert group.reduced == (group.rate_code == "reduced_8")
        # invariants: tax ≤ net × rate + 1 minor unit, and ≥ net × rate − 1 unit
        exact = Fraction(net_minor) * _RATES[group.rate_code]
        assert exact - 1 < tax_minor <= exact + 1
        assert group.tax.as_tuple().exponent == (-2 if currency == "USD" else 0)
    assert totals.net * scale == sum(net for net, _ in expected.values())
    assert totals.tax * scale == sum(tax for _, tax in expected.values())
    assert totals.gross == totals.net + totals.tax
    assert totals.line_reduced == tuple(code == "reduced_8" for _, code in minor_lines)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.integers(1, 10**6), min_size=2, max_size=10), st.sampled_from(["down", "up"]))
def test_per_rate_never_worse_than_per_line_by_more_than_the_line_count(amounts, mode):
    lines = [TaxLine(D(a), "reduced_8") for a in amounts]
    once = compute_totals(lines, "JPY", mode).tax
    per_line = sum(compute_totals([line], "JPY", mode).tax for line in lines)
    assert abs(once - per_line) < len(amounts)


def test_per_rate_rounding_differs_from_per_line_rounding_in_some_examples():
    diffs = 0
    for a in range(1, 200):
        lines = [TaxLine(D(a), "reduced_8"), TaxLine(D(a + 7), "reduced_8")]
        once = compute_totals(lines, "JPY", "down").tax
        per_line = sum(compute_totals([line], "JPY", "down").tax for line in lines)
        assert once >= per_line  # rounding down once loses at most one yen, per line more
        diffs += once != per_line
    assert diffs > 20
