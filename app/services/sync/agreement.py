"""Same money everywhere: the provider's invoice must hold Renkei's total and tax per rate.

Renkei's figures are the qualified-invoice totals of the lines sent (app/services/tax.py:
tax on each rate's total, rounded once with the issuer's mode). Before a create, a
provider whose rounding cannot be chosen per request is checked (``refusal``): when its
own rounding would give another tax on these lines, nothing is sent and the reason is
given in words. After a create, what the provider answered (total and tax per rate) is
compared with Renkei's (``check_created``); a difference is recorded on the run and the
document in words, never silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from flask_babel import gettext as _

from app.models.choices import ROUNDING_LABELS
from app.providers.errors import provider_name
from app.providers.registry import entry
from app.services.money import format_money
from app.services.sync import runs
from app.services.sync.lines import InvoiceLines, document_lines
from app.services.tax import InvoiceTotals, compute_totals

RATE_LABELS = {"standard_10": "10%", "reduced_8": "8%*", "exempt": "0%"}


@dataclass(frozen=True)
class Difference:
    """What the provider holds against what Renkei computed (None: not answered)."""

    what: str  # "total" or a rate code
    provider: Decimal | None
    renkei: Decimal


def renkei_totals(lines: InvoiceLines, rounding: str | None = None) -> InvoiceTotals:
    """Renkei's totals of ``lines``: tax per rate rounded once with the issuer's mode
    (or ``rounding``)."""
    return compute_totals(
        [(line.amount, line.tax_rate) for line in lines],
        lines.currency,
        rounding or lines.rounding,
    )


def differences(
    totals: InvoiceTotals, total: Decimal | None, taxes: dict[str, Decimal] | None
) -> list[Difference]:
    """Where the provider's ``total`` and ``taxes`` (per rate code; None when it did not
    say) differ from ``totals``."""
    found = []
    if total is None or Decimal(total) != totals.gross:
        found.append(Difference("total", total, totals.gross))
    if taxes is not None:
        ours = {rate.rate_code: rate.tax for rate in totals.rates}
        for code in [*ours, *(c for c in taxes if c not in ours)]:
            theirs = taxes.get(code, Decimal(0))
            if Decimal(theirs) != ours.get(code, Decimal(0)):
                found.append(Difference(code, theirs, ours.get(code, Decimal(0))))
    return found


def _rate_words(found: list[Difference], currency: str) -> str:
    return ", ".join(
        _(
            "tax %(rate)s: %(provider)s there, %(renkei)s in Renkei",
            rate=RATE_LABELS.get(d.what, d.what),
            provider=format_money(d.provider, currency) if d.provider is not None else "?",
            renkei=format_money(d.renkei, currency),
        )
        for d in found
        if d.what != "total"
    )


def describe(provider: str, totals: InvoiceTotals, found: list[Difference], answered_total):
    """A sentence for a person: what the provider holds, what Renkei computed, per rate."""
    currency = totals.currency
    theirs = format_money(answered_total, currency) if answered_total is not None else "?"
    rates = _rate_words(found, currency)
    return _(
        "%(provider)s holds %(theirs)s, Renkei %(ours)s (%(rates)s). Check the invoice there "
        "before sending it.",
        provider=provider,
        theirs=theirs,
        ours=format_money(totals.gross, currency),
        rates=rates or _("the tax per rate agrees"),
    )


def refusal(provider: str, lines: InvoiceLines, provider_rounding: str) -> str | None:
    """Why ``lines`` must not be sent to a provider that always rounds tax with
    ``provider_rounding``: None when it comes to Renkei's figures anyway."""
    ours = renkei_totals(lines)
    if provider_rounding == lines.rounding:
        return None
    theirs = renkei_totals(lines, provider_rounding)
    found = differences(ours, theirs.gross, {r.rate_code: r.tax for r in theirs.rates})
    if not found:
        return None
    return _(
        "not sent, because %(provider)s rounds consumption tax to the nearest unit and "
        "cannot be told otherwise, while the issuer's tax rounding is %(mode)s: the invoice "
        "would come to %(theirs)s there and %(ours)s in Renkei (%(rates)s). Set the issuer's "
        "tax rounding to half up, or issue this invoice elsewhere.",
        provider=provider,
        mode=_rounding_word(lines.rounding),
        theirs=format_money(theirs.gross, lines.currency),
        ours=format_money(ours.gross, lines.currency),
        rates=_rate_words(found, lines.currency),
    )


def _rounding_word(mode: str) -> str:
    return str(ROUNDING_LABELS.get(mode, mode))


def check_created(run, document, remote) -> str | None:
    """Compare what ``remote`` (just created or found) holds with Renkei's figures for
    ``document``'s Renkei document; a difference is recorded on ``run`` and the link (the
    caller commits) and returned in words."""
    lines = document_lines(document.document)
    totals = renkei_totals(lines)
    found = differences(totals, remote.total, getattr(remote, "taxes", None))
    if not found:
        return None
    provider = provider_name(document.connection.provider, document.connection.provider)
    message = describe(provider, totals, found, remote.total)
    hint = entry(document.connection.provider).agreement_hint(_rounding_word(lines.rounding))
    if hint:
        message += " " + hint
    document.last_error = message
    runs.record_failure(run, message, deal_id=document.deal_id, document_id=document.id)
    return message
