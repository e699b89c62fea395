"""The mismatch report in words: each kind, each side's value, and what a person should do
at the provider where Renkei cannot push the fix (app/services/sync/mismatches.py stores
the values as data: amounts, status codes, provider ids)."""

from __future__ import annotations

import json
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.models.choices import BILLING_STATUS_LABELS
from app.providers.errors import provider_name
from app.services.money import format_money

KIND_LABELS = {
    "total": _l("Total differs"),
    "tax": _l("Tax per rate differs"),
    "status": _l("Status differs"),
    "customer": _l("Customer differs"),
    "deleted": _l("Deleted at the provider"),
    "unknown": _l("Not known to Renkei"),
}


def kind_label(kind: str) -> str:
    """A mismatch kind in words."""
    return str(KIND_LABELS.get(kind, kind))


def state_label(state: str | None) -> str:
    """A Renkei document's state in words."""
    from app.services.documents.lifecycle import STATE_LABELS

    return str(STATE_LABELS.get(state, state or ""))


def billing_label(status: str | None) -> str:
    """A provider's status, in our words."""
    return str(BILLING_STATUS_LABELS.get(status, status or ""))


def _currency(mismatch) -> str:
    document = mismatch.document
    if document is not None:
        return document.currency
    return getattr(mismatch.connection, "base_currency", None) or "JPY"


def _money(value, currency: str) -> str:
    return format_money(Decimal(value), currency) if value not in (None, "") else "?"


def _rates(value: str | None, currency: str) -> str:
    from app.services.sync.agreement import RATE_LABELS

    taxes = json.loads(value) if value else {}
    return ", ".join(
        f"{RATE_LABELS.get(code, code)}: {_money(amount, currency)}"
        for code, amount in sorted(taxes.items())
    )


def _customer(mismatch, external_id: str | None) -> str:
    from app.extensions import db
    from app.models.sync import PartnerLink

    partner = (
        db.session.query(PartnerLink)
        .filter_by(connection_id=mismatch.connection_id, external_id=external_id)
        .first()
    )
    if partner is not None and partner.company is not None:
        return f"{partner.company.name} ({external_id})"
    return _("a customer Renkei does not link (%(id)s)", id=external_id or "?")


def values(mismatch) -> tuple[str, str]:
    """(Renkei's side, the provider's side) of ``mismatch`` in words."""
    currency = _currency(mismatch)
    ours, theirs = mismatch.renkei_value, mismatch.provider_value
    kind = mismatch.kind
    if kind == "total":
        return _money(ours, currency), _money(theirs, currency)
    if kind == "tax":
        return _rates(ours, currency), _rates(theirs, currency)
    if kind == "status":
        return state_label(ours), billing_label(theirs)
    if kind == "customer":
        return _customer(mismatch, ours), _customer(mismatch, theirs)
    if kind == "deleted":
        return state_label(ours), str(_("deleted there"))
    data = json.loads(theirs) if theirs else {}
    shown = _("%(total)s, %(status)s, reference %(reference)s") % {
        "total": _money(data.get("total"), currency),
        "status": billing_label(data.get("status")),
        "reference": mismatch.reference or "",
    }
    return str(_("no document")), shown


def what_to_do(mismatch) -> str:
    """Why Renkei does not push this difference, and what to do at the provider instead."""
    connection = mismatch.connection
    name = provider_name(connection.provider, connection.name)
    ours, theirs = values(mismatch)
    if mismatch.kind in ("total", "tax"):
        return _(
            "Renkei does not change an issued invoice at %(provider)s. Correct it there so "
            "that it holds %(ours)s (it holds %(theirs)s), then pull it; or correct the "
            "Renkei document with a credit note.",
            provider=name,
            ours=ours,
            theirs=theirs,
        )
    if mismatch.kind == "customer":
        return _(
            "Renkei does not move an issued invoice to another customer at %(provider)s. "
            "Change the customer there to %(ours)s, then pull it; or ignore the mismatch "
            "with a reason.",
            provider=name,
            ours=ours,
        )
    if mismatch.kind == "status":
        return _(
            "%(provider)s does not take this status from Renkei. Set it there yourself "
            "(Renkei: %(ours)s, %(provider)s: %(theirs)s), then pull it; or record the "
            "payment or change in Renkei.",
            provider=name,
            ours=ours,
            theirs=theirs,
        )
    return _(
        "Renkei has no document for it: link it to one of Renkei's documents, or ignore it "
        "with a reason."
    )
