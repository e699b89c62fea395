"""Qualified-invoice (適格請求書) totals: tax rounded once per rate per invoice.

Japan's invoice rules require the consumption tax to be computed on the total of each
tax rate and rounded once per rate per invoice, never line by line; the issuer chooses
the rounding (down, half-up or up). Rounding itself goes through
``app.services.money.round_money``, the one place money is rounded.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import gettext as _

from app.models.choices import TAX_RATES
from app.services.errors import InvalidInput
from app.services.money import ROUNDING_MODES, round_money

REDUCED_RATE_CODES = frozenset({"reduced_8"})
# Display order of the rate groups on a document.
_RATE_ORDER = ("standard_10", "reduced_8", "exempt")


@dataclass(frozen=True)
class TaxLine:
    """One line as tax sees it: its net amount and its tax-rate code."""

    net: Decimal
    rate_code: str

    @property
    def reduced(self) -> bool:
        """True for a reduced-rate line (the PDF marks it with ※)."""
        return self.rate_code in REDUCED_RATE_CODES


@dataclass(frozen=True)
class RateTotal:
    """The total of one tax rate: taxable net, tax rounded once, and gross."""

    rate_code: str
    rate: Decimal
    net: Decimal
    tax: Decimal
    reduced: bool

    @property
    def gross(self) -> Decimal:
        """Net plus tax for this rate."""
        return self.net + self.tax


@dataclass(frozen=True)
class InvoiceTotals:
    """Totals of a qualified invoice: one RateTotal per rate used, then the sums."""

    currency: str
    rounding: str
    rates: tuple[RateTotal, ...]
    net: Decimal
    tax: Decimal
    gross: Decimal
    line_reduced: tuple[bool, ...]

    @property
    def has_reduced(self) -> bool:
        """True when any line is reduced-rate (the PDF then prints the ※ note)."""
        return any(self.line_reduced)

    def rate(self, code: str) -> RateTotal | None:
        """The group of rate ``code``, or None when no line uses it."""
        return next((r for r in self.rates if r.rate_code == code), None)


def _as_line(line) -> TaxLine:
    if isinstance(line, TaxLine):
        return line
    net, code = line
    return TaxLine(net=net, rate_code=code)


def _check_line(index: int, line: TaxLine) -> None:
    if line.rate_code not in TAX_RATES:
        raise InvalidInput(
            _(
                "Line %(n)d has an unknown tax rate %(code)r; use one of %(codes)s.",
                n=index + 1,
                code=line.rate_code,
                codes=", ".join(TAX_RATES),
            ),
            field="tax_rate",
        )
    if not isinstance(line.net, Decimal):
        raise InvalidInput(
            _(
                "Line %(n)d's amount must be a Decimal, not %(kind)s.",
                n=index + 1,
                kind=type(line.net).__name__,
            ),
            field="amount",
        )
    if not line.net.is_finite():
        raise InvalidInput(_("Line %(n)d's amount is not a number.", n=index + 1), field="amount")


def compute_totals(
    lines: Iterable[TaxLine | tuple[Decimal, str]],
    currency: str,
    rounding: str = "down",
    *,
    allow_negative: bool = False,
) -> InvoiceTotals:
    """Group ``lines`` by tax rate and compute the qualified-invoice totals.

    Each line is a TaxLine or a ``(net, rate_code)`` pair; ``rounding`` is the issuer's
    choice ("down", "half_up", "up"). Each rate's net is rounded to the currency's minor
    unit, then its tax = net × rate is rounded ONCE with the issuer's mode. Exempt lines
    form their own group with zero tax. Negative rate totals are refused unless
    ``allow_negative`` (a credit note); individual negative lines (discounts) are fine
    as long as every rate total stays ≥ 0.
    """
    if rounding not in ROUNDING_MODES:
        raise InvalidInput(
            _(
                "Unknown tax rounding %(mode)r; use one of %(modes)s.",
                mode=rounding,
                modes=", ".join(ROUNDING_MODES),
            ),
            field="tax_rounding",
        )
    items = [_as_line(line) for line in lines]
    sums: dict[str, Decimal] = {}
    for index, line in enumerate(items):
        _check_line(index, line)
        sums[line.rate_code] = sums.get(line.rate_code, Decimal(0)) + line.net

    groups = []
    for code in _RATE_ORDER:
        if code not in sums:
            continue
        net = round_money(sums[code], currency)
        if net < 0 and not allow_negative:
            raise InvalidInput(
                _(
                    "The total at tax rate %(code)s is negative (%(net)s); only a credit "
                    "note may have negative totals.",
                    code=code,
                    net=net,
                ),
                field="amount",
            )
        tax = round_money(net * TAX_RATES[code], currency, rounding)
        groups.append(RateTotal(code, TAX_RATES[code], net, tax, code in REDUCED_RATE_CODES))

    net_total = sum((g.net for g in groups), Decimal(0))
    tax_total = sum((g.tax for g in groups), Decimal(0))
    return InvoiceTotals(
        currency=currency,
        rounding=rounding,
        rates=tuple(groups),
        net=net_total,
        tax=tax_total,
        gross=net_total + tax_total,
        line_reduced=tuple(line.reduced for line in items),
    )
