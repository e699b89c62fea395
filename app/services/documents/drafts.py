"""The one-page editor's verb: a draft's header and all its lines, read as typed, checked
field by field, and saved in one transaction.

``read_draft`` turns what the page sends (strings as people type them) into records and
collects every refusal under its field (``lines.2.unit_price``), so the page can show
them all at once and keep what was typed. ``save_draft`` writes a new draft, or replaces
an existing draft's header and lines under the document's row lock, refusing a save
made from an older copy (``version``: a fingerprint of the content the editor loaded).
``preview_totals`` computes the totals of unsaved lines with the very functions the
flush rules use (``lines.complete_line``, ``tax.compute_totals``), so the live totals
on the page are the totals the saved document gets.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from types import SimpleNamespace

from flask_babel import gettext as _

from app.extensions import db
from app.models.choices import CURRENCIES
from app.models.crm import Company, Contact, Product
from app.models.document_kinds import KINDS
from app.models.documents import Document, DocumentLine, LegalEntity
from app.services.actor import acting_as
from app.services.documents.due_dates import default_due_date
from app.services.documents.issuing import default_legal_entity
from app.services.documents.lifecycle import STATE_LABELS, today_tokyo
from app.services.documents.transaction import locked
from app.services.errors import InvalidInput, NotFound
from app.services.lines import complete_line
from app.services.money import parse_amount
from app.services.tax import InvoiceTotals, compute_totals

LANGUAGES = ("ja", "en")
LINE_FIELDS = ("product", "name", "unit", "unit_price", "quantity", "discount_percent", "tax_rate")
MAX_LINES = 200
_EMAIL = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+$")
_TEXT_LIMITS = {"recipient_name": 200, "recipient_email": 254, "name": 200, "unit": 20}


class DraftRefused(InvalidInput):
    """Some fields of a draft were refused; ``errors`` maps each field to its sentence."""

    def __init__(self, errors: dict[str, str]):
        first = next(iter(errors))
        super().__init__(errors[first], field=first)
        self.errors = errors


@dataclass
class Draft:
    """What the editor sent, read: the header's values and the lines (namespaces)."""

    header: dict = field(default_factory=dict)
    lines: list = field(default_factory=list)
    errors: dict = field(default_factory=dict)


def _text(data: dict, name: str) -> str:
    value = data.get(name)
    return value.strip() if isinstance(value, str) else ""


def _record(model, value):
    """The row of ``model`` with id ``value`` (int or digit string); None when blank."""
    if value in (None, ""):
        return None
    try:
        ident = int(value)
    except (TypeError, ValueError):
        raise ValueError from None
    if not 0 < ident < 2**63:
        raise ValueError
    found = db.session.get(model, ident)
    if found is None:
        raise ValueError
    return found


def _date(data: dict, name: str, errors: dict) -> dt.date | None:
    value = _text(data, name)
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        errors[name] = _("Write the date as YYYY-MM-DD, e.g. 2026-12-31.")
        return None


def _read_header(kind: str, data: dict, errors: dict) -> dict:
    header: dict = {}
    try:
        header["legal_entity"] = _record(LegalEntity, data.get("legal_entity"))
    except ValueError:
        errors["legal_entity"] = _("Choose the issuing legal entity.")
    if header.get("legal_entity") is None and "legal_entity" not in errors:
        try:
            header["legal_entity"] = default_legal_entity()
        except InvalidInput as refused:
            errors["legal_entity"] = str(refused)
    try:
        header["company"] = _record(Company, data.get("company"))
    except ValueError:
        header["company"] = None
    if header["company"] is None:
        errors["company"] = _("Choose the customer.")
    try:
        header["contact"] = _record(Contact, data.get("contact"))
    except ValueError:
        errors["contact"] = _("Choose a contact of the customer, or none.")
        header["contact"] = None
    contact, company = header.get("contact"), header.get("company")
    if contact is not None and company is not None and contact.company_id != company.id:
        errors["contact"] = _(
            "%(name)s is not a contact of %(company)s.", name=contact.name, company=company.name
        )
    for name in ("recipient_name", "recipient_email"):
        header[name] = _text(data, name) or None
        if header[name] and len(header[name]) > _TEXT_LIMITS[name]:
            errors[name] = _("At most %(n)d characters.", n=_TEXT_LIMITS[name])
    if header["recipient_email"] and not _EMAIL.match(header["recipient_email"]):
        errors["recipient_email"] = _("Not a valid email address.")
    if not header["recipient_name"] and company is not None:
        header["recipient_name"] = company.name
    entity = header.get("legal_entity")
    currency = _text(data, "currency") or (entity.base_currency if entity else "JPY")
    if currency not in CURRENCIES:
        errors["currency"] = _("Unknown currency %(code)s.", code=currency)
    header["currency"] = currency
    language = _text(data, "language") or "ja"
    if language not in LANGUAGES:
        errors["language"] = _("Choose Japanese or English.")
    header["language"] = language
    for name in ("issue_date", "transaction_date", "due_date"):
        header[name] = _date(data, name, errors)
    if header["issue_date"] is None and "issue_date" not in errors:
        errors["issue_date"] = _("The issue date is required.")
    issued, due = header["issue_date"], header["due_date"]
    if issued and due and due < issued:
        errors["due_date"] = _("The due date cannot be before the issue date.")
    if due is None and issued and "due_date" not in errors and company is not None:
        header["due_date"] = default_due_date(kind, issued, company, entity)
    for name in ("terms", "notes"):
        value = data.get(name)
        header[name] = value.strip() or None if isinstance(value, str) else None
    return header


def _blank(raw: dict) -> bool:
    return not any(
        (raw.get(k) or "").strip() if isinstance(raw.get(k), str) else raw.get(k)
        for k in ("product", "name", "unit_price")
    )


def _read_line(index: int, raw, currency: str, errors: dict):
    """One line as a namespace the line rules accept; refusals under ``lines.<index>.*``."""
    prefix = f"lines.{index}."
    if not isinstance(raw, dict):
        errors[f"{prefix}name"] = _("This line is not readable.")
        return None
    line = SimpleNamespace(id=None, product=None, amount=None)
    try:
        line.id = int(raw["id"]) if raw.get("id") not in (None, "") else None
    except (TypeError, ValueError):
        errors[f"{prefix}name"] = _("This line is not readable.")
        return None
    try:
        line.product = _record(Product, raw.get("product"))
    except ValueError:
        errors[f"{prefix}product"] = _("No such product.")
    for name in ("name", "unit"):
        value = raw.get(name)
        setattr(line, name, value.strip() or None if isinstance(value, str) else None)
        if getattr(line, name) and len(getattr(line, name)) > _TEXT_LIMITS[name]:
            errors[prefix + name] = _("At most %(n)d characters.", n=_TEXT_LIMITS[name])
    labels = {
        "unit_price": _("The unit price"),
        "quantity": _("The quantity"),
        "discount_percent": _("The discount"),
    }
    for name, label in labels.items():
        try:
            setattr(line, name, parse_amount(raw.get(name), name, label))
        except InvalidInput as refused:
            errors[prefix + name] = str(refused)
            setattr(line, name, None)
    if line.quantity is None and prefix + "quantity" not in errors:
        line.quantity = Decimal(1)
    rate = raw.get("tax_rate")
    line.tax_rate = rate if isinstance(rate, str) and rate else None
    if any(key.startswith(prefix) for key in errors):
        return None
    try:
        complete_line(line, currency)  # the flush's own rules: product, defaults, checks
    except InvalidInput as refused:
        errors[prefix + (refused.field or "name")] = str(refused)
        return None
    return line


def read_draft(kind: str, data) -> Draft:
    """Read the editor's JSON; every refusal is collected in ``Draft.errors``."""
    if kind not in KINDS:
        raise NotFound(_("Unknown document kind %(kind)s.", kind=kind))
    if not isinstance(data, dict):
        raise InvalidInput(_("The editor sent something unreadable."), field="form")
    draft = Draft()
    draft.header = _read_header(kind, data, draft.errors)
    raw_lines = data.get("lines") or []
    if not isinstance(raw_lines, list) or len(raw_lines) > MAX_LINES:
        draft.errors["lines"] = _("At most %(n)d lines.", n=MAX_LINES)
        raw_lines = []
    index = 0
    for raw in raw_lines:
        if isinstance(raw, dict) and _blank(raw) and not raw.get("id"):
            continue  # the grid's empty row
        line = _read_line(index, raw, draft.header["currency"], draft.errors)
        draft.lines.append(line)
        index += 1
    return draft


def totals_of(draft: Draft) -> InvoiceTotals:
    """The totals the saved draft will have (lines refused are left out)."""
    entity = draft.header.get("legal_entity")
    rounding = entity.tax_rounding if entity is not None else "down"
    lines = [line for line in draft.lines if line is not None]
    return compute_totals(
        [(Decimal(line.amount), line.tax_rate) for line in lines],
        draft.header["currency"] if draft.header.get("currency") in CURRENCIES else "JPY",
        rounding,
    )


def version(document: Document) -> str:
    """A fingerprint of a draft's content as stored: the editor sends back the one it
    loaded, and a save made from an older copy is refused."""

    def plain(value):
        if isinstance(value, Decimal):
            return format(value.normalize(), "f")
        return None if value is None else str(value)

    header = [
        plain(getattr(document, name))
        for name in (
            "legal_entity_id",
            "company_id",
            "contact_id",
            "recipient_name",
            "recipient_email",
            "currency",
            "language",
            "issue_date",
            "transaction_date",
            "due_date",
            "terms",
            "notes",
            "state",
        )
    ]
    lines = sorted(
        [plain(line.id), plain(line.position), plain(line.product_id), line.name, line.unit]
        + [plain(getattr(line, n)) for n in ("unit_price", "quantity", "discount_percent")]
        + [line.tax_rate]
        for line in db.session.query(DocumentLine).filter_by(document_id=document.id)
    )
    content = json.dumps([header, lines], ensure_ascii=False, default=str)
    return hashlib.sha256(content.encode()).hexdigest()


def _apply(document: Document, draft: Draft) -> None:
    for name, value in draft.header.items():
        setattr(document, name, value)
    existing = {line.id: line for line in document.lines}
    kept = []
    for position, read in enumerate(draft.lines, start=1):
        line = existing.pop(read.id, None) if read.id is not None else None
        if read.id is not None and line is None:
            raise DraftRefused(
                {f"lines.{position - 1}.name": _("This line is no longer on the document.")}
            )
        if line is None:
            line = DocumentLine()
        for name in LINE_FIELDS:
            setattr(line, name, getattr(read, name))
        line.position = position
        kept.append(line)
    document.lines = kept  # lines left out are deleted (delete-orphan)


def _commit(user) -> None:
    try:
        with acting_as(user):
            db.session.commit()
    except InvalidInput as refused:  # a flush rule (bounds, credit ceiling …) in words
        db.session.rollback()
        raise DraftRefused({refused.field or "form": str(refused)}) from None


def save_draft(kind: str, data, user, document: Document | None = None) -> Document:
    """Save the editor's draft of ``kind``: a new one, or ``document`` (a draft) replaced
    in one transaction under its row lock, if it still is the copy the editor loaded."""
    draft = read_draft(kind, data)
    if draft.errors:
        raise DraftRefused(draft.errors)
    if document is None:
        document = Document(kind=kind, state="draft", created_by=user)
        _apply(document, draft)
        db.session.add(document)
        _commit(user)
        return document
    with locked(document):
        if document.kind != kind:
            raise NotFound(_("No such document."))
        if document.state != "draft":
            raise InvalidInput(
                _(
                    "%(number)s is “%(state)s” and can no longer be edited.",
                    number=document.number,
                    state=STATE_LABELS.get(document.state, document.state),
                ),
                field="state",
            )
        if not isinstance(data, dict) or data.get("version") != version(document):
            raise InvalidInput(
                _(
                    "%(number)s was changed by someone else since you opened it: copy what "
                    "you typed, reload the page and apply it again.",
                    number=document.number,
                ),
                field="version",
            )
        _apply(document, draft)
        _commit(user)
    return document


def new_header(kind: str) -> dict:
    """The header a new draft of ``kind`` starts with in the editor."""
    try:
        entity = default_legal_entity()
    except InvalidInput:
        entity = None
    return {
        "legal_entity": entity.id if entity else "",
        "currency": entity.base_currency if entity else "JPY",
        "language": "ja",
        "issue_date": today_tokyo().isoformat(),
        "kind_has_due_date": KINDS[kind].due_date,
    }
