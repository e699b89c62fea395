"""The issuer a document shows: live while it is a draft, frozen once it leaves draft.

When a document leaves draft (submitted, approved, then sent), the legal entity's
printed details and its tax rounding are copied onto it. Its page and its PDF read them
from there, so changing the entity's name, T-number, address, bank account or rounding
changes new documents only — never the figures of one already issued.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import event
from sqlalchemy.orm import Session, attributes

from app.models.documents import Document

FROZEN_FIELDS = (
    "name",
    "name_en",
    "registration_number",
    "postal_code",
    "address",
    "bank_account",
    "phone",
    "email",
)


@dataclass(frozen=True)
class Issuer:
    """What a document prints about its issuer."""

    name: str
    name_en: str | None
    registration_number: str | None
    postal_code: str | None
    address: str | None
    bank_account: str | None
    tax_rounding: str
    phone: str | None = None  # absent from copies frozen before they were printed
    email: str | None = None
    # The look (colour, logo) is the entity's current one: a sent PDF is kept as bytes.
    brand_colour: str | None = None
    logo: bytes | None = None
    logo_mimetype: str | None = None


def _frozen(document: Document) -> bool:
    return document.state != "draft" and document.issuer_snapshot is not None


def issuer_of(document: Document) -> Issuer:
    """The issuer as ``document`` shows it (the frozen copy once it left draft)."""
    entity = document.legal_entity
    if _frozen(document):
        values = json.loads(document.issuer_snapshot)
        fields = {f: values.get(f) for f in FROZEN_FIELDS}
    else:
        fields = {f: getattr(entity, f) for f in FROZEN_FIELDS}
    return Issuer(
        **{f: fields.get(f) for f in FROZEN_FIELDS},
        tax_rounding=rounding_of(document),
        brand_colour=entity.brand_colour if entity is not None else None,
        logo=entity.logo if entity is not None else None,
        logo_mimetype=entity.logo_mimetype if entity is not None else None,
    )


def rounding_of(document: Document) -> str:
    """The tax rounding of ``document``: frozen once it left draft, else its entity's."""
    if document.state != "draft" and document.tax_rounding:
        return document.tax_rounding
    entity = document.legal_entity
    return entity.tax_rounding if entity is not None else "down"


def freeze(document: Document) -> None:
    """Copy the entity's printed details and rounding onto the document."""
    entity = document.legal_entity
    if entity is None:
        return
    document.tax_rounding = entity.tax_rounding
    snapshot = {f: getattr(entity, f) for f in FROZEN_FIELDS}
    document.issuer_snapshot = json.dumps(snapshot, ensure_ascii=False)
    # Another currency than the entity's: the exchange rate used, frozen alongside.
    from app.services.exchange_rates import freeze_rate

    freeze_rate(document)


def _leaving_draft(document: Document) -> bool:
    history = attributes.get_history(document, "state")
    return bool(history.deleted) and history.deleted[0] == "draft" and document.state != "draft"


def _before_flush(session: Session, _context, _instances) -> None:
    for obj in list(session.dirty):
        if isinstance(obj, Document) and _leaving_draft(obj):
            freeze(obj)


def install_issuer_freeze() -> None:
    """Attach the freeze to every ORM session (idempotent)."""
    if not event.contains(Session, "before_flush", _before_flush):
        event.listen(Session, "before_flush", _before_flush)
