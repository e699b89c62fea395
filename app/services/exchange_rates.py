"""Several legal entities and currencies (issue 17, B8): rates, base amounts, defaults.

- Finance staff enter one rate per currency pair and date (ExchangeRate: 1 unit of
  ``from_currency`` = ``rate`` units of ``to_currency``).
- A document in another currency than its issuer's base currency takes, when it leaves
  draft (issuer.freeze calls ``freeze_rate``), the latest rate of the pair (document
  currency → base currency) on or before its issue date, and its total in the base
  currency, rounded half-up to the base currency's minor unit. Both stay on the
  document: a rate entered or changed later changes nothing already issued. With no rate
  entered, nothing is frozen and the page says so (the document is not held back).
- A connection without a legal entity gets the first one (as documents do).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from app.models.choices import CURRENCIES
from app.models.connection import Connection
from app.models.documents import Document, LegalEntity
from app.models.exchange_rates import ExchangeRate
from app.services.errors import InvalidInput
from app.services.money import check_decimal, round_money

EARLIEST_RATE = dt.date(2000, 1, 1)
RATE_PLACES = 8
RATE_LIMIT = Decimal(10) ** 10  # Numeric(18, 8)
_PREFIX_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-")


@dataclass(frozen=True)
class Conversion:
    """What a document in a foreign currency shows about its base-currency amount."""

    currency: str
    base_currency: str
    rate: Decimal | None  # None: no rate was entered on or before the issue date
    rate_date: dt.date | None
    base_total: Decimal | None
    frozen: bool  # taken when the document left draft (else: what it would take now)


def latest_rate(session: Session, source: str, target: str, on: dt.date) -> ExchangeRate | None:
    """The latest rate ``source`` → ``target`` valid on ``on`` (entered for that day or before)."""
    return session.scalars(
        select(ExchangeRate)
        .where(ExchangeRate.from_currency == source)
        .where(ExchangeRate.to_currency == target)
        .where(ExchangeRate.valid_on <= on)
        .order_by(ExchangeRate.valid_on.desc())
        .limit(1)
    ).first()


def base_amount(amount: Decimal, rate: Decimal, base_currency: str) -> Decimal:
    """``amount`` × ``rate`` rounded half-up to the base currency's minor unit."""
    return round_money(Decimal(amount) * Decimal(rate), base_currency, "half_up")


def _base_of(document: Document) -> str | None:
    entity = document.legal_entity
    return entity.base_currency if entity is not None else None


def freeze_rate(document: Document, session: Session | None = None) -> None:
    """Copy the rate and the base-currency total onto ``document`` (leaving draft)."""
    session = session or inspect(document).session
    base = _base_of(document)
    if base is None or document.currency == base:
        document.base_currency = document.exchange_rate = None
        document.exchange_rate_date = document.base_total = None
        return
    found = latest_rate(session, document.currency, base, document.issue_date)
    document.base_currency = base
    if found is None:
        document.exchange_rate = document.exchange_rate_date = document.base_total = None
        return
    document.exchange_rate = found.rate
    document.exchange_rate_date = found.valid_on
    document.base_total = base_amount(document.total or 0, found.rate, base)


def conversion_of(document: Document, session: Session | None = None) -> Conversion | None:
    """The base-currency figures ``document`` shows; None when it is in its base currency."""
    if document.state != "draft" and document.base_currency:
        return Conversion(
            document.currency,
            document.base_currency,
            document.exchange_rate,
            document.exchange_rate_date,
            document.base_total,
            True,
        )
    base = _base_of(document)
    if base is None or document.currency == base:
        return None
    session = session or inspect(document).session
    found = (
        latest_rate(session, document.currency, base, document.issue_date)
        if session is not None and document.issue_date
        else None
    )
    if found is None:
        return Conversion(document.currency, base, None, None, None, False)
    total = base_amount(document.total or 0, found.rate, base)
    return Conversion(document.currency, base, found.rate, found.valid_on, total, False)


def format_rate(rate: Decimal) -> str:
    """150.25000000 → 150.25 (at least two decimals)."""
    text = format(Decimal(rate).normalize(), "f")
    whole, _sep, fraction = text.partition(".")
    return f"{int(whole):,}.{fraction.ljust(2, '0')}"


def conversion_text(conversion: Conversion | None, language: str) -> str:
    """The line a PDF prints about the rate, in the document's language ("" when none).

    The document's language decides, not the reader's (as for the rest of the PDF)."""
    from app.services.money import format_money

    if conversion is None or conversion.rate is None:
        return ""
    pair = f"1 {conversion.currency} = {format_rate(conversion.rate)} {conversion.base_currency}"
    day = conversion.rate_date.isoformat() if conversion.rate_date else ""
    if language == "en":
        amount = format_money(conversion.base_total, conversion.base_currency, "en_US")
        return (
            f"Exchange rate: {pair} (rate of {day}). Total in {conversion.base_currency}: {amount}"
        )
    amount = format_money(conversion.base_total, conversion.base_currency, "ja_JP")
    return f"換算レート：{pair}（{day} のレート）　{conversion.base_currency} 換算額：{amount}"


# -- the rules, for every door --------------------------------------------------------


def check_rate(rate: ExchangeRate) -> None:
    """A rate between two different known currencies, positive, dated sensibly."""
    from app.services.documents.lifecycle import today_tokyo

    for field in ("from_currency", "to_currency"):
        if getattr(rate, field) not in CURRENCIES:
            raise InvalidInput(
                _("Unknown currency %(code)s.", code=getattr(rate, field) or ""), field=field
            )
    if rate.from_currency == rate.to_currency:
        raise InvalidInput(
            _("An exchange rate is between two different currencies."), field="to_currency"
        )
    if rate.rate is None:
        raise InvalidInput(_("Enter the rate."), field="rate")
    value = check_decimal(rate.rate, "rate", _("The rate"), places=RATE_PLACES, limit=RATE_LIMIT)
    if value <= 0:
        raise InvalidInput(_("The rate must be greater than zero."), field="rate")
    latest = today_tokyo() + dt.timedelta(days=365)
    if rate.valid_on is None or not EARLIEST_RATE <= rate.valid_on <= latest:
        raise InvalidInput(
            _(
                "The rate's date must be between %(first)s and %(last)s.",
                first=EARLIEST_RATE.isoformat(),
                last=latest.isoformat(),
            ),
            field="valid_on",
        )


def check_prefix(entity: LegalEntity) -> None:
    """A number prefix of capital letters, digits and '-' (at most 10), or empty."""
    prefix = (entity.number_prefix or "").strip().upper()
    if len(prefix) > 10 or not set(prefix) <= _PREFIX_CHARS:
        raise InvalidInput(
            _("The number prefix is at most 10 capital letters, digits or '-' (e.g. US-)."),
            field="number_prefix",
        )
    entity.number_prefix = prefix


def _check_prefix_kept(session: Session, entity: LegalEntity) -> None:
    """The prefix of an entity that has numbered documents stays: its numbers use it."""
    from sqlalchemy.orm import attributes

    if entity.id is None or entity in session.new:
        return
    if not attributes.get_history(entity, "number_prefix").added:
        return
    table = LegalEntity.__table__
    stored = session.execute(select(table.c.number_prefix).where(table.c.id == entity.id)).scalar()
    if stored is None or stored == entity.number_prefix:
        return
    used = session.execute(
        select(Document.id).where(Document.legal_entity_id == entity.id).limit(1)
    ).first()
    if used is not None:
        raise InvalidInput(
            _("%(name)s has numbered documents: its number prefix cannot change.", name=entity),
            field="number_prefix",
        )


def _check_prefix_free(session: Session, entity: LegalEntity) -> None:
    """Two entities never share a prefix (their numbers would collide); the unique
    constraint holds it under races, this says it in words."""
    query = select(LegalEntity.name).where(LegalEntity.number_prefix == entity.number_prefix)
    if entity.id is not None:
        query = query.where(LegalEntity.id != entity.id)
    other = session.execute(query.limit(1)).scalar()
    if other is not None:
        raise InvalidInput(
            _(
                "%(name)s already numbers with the prefix “%(prefix)s”: choose another one.",
                name=other,
                prefix=entity.number_prefix,
            )
            if entity.number_prefix
            else _(
                "%(name)s already numbers without a prefix: give this entity one (e.g. US-).",
                name=other,
            ),
            field="number_prefix",
        )


def _first_entity(session: Session) -> LegalEntity | None:
    return session.scalars(select(LegalEntity).order_by(LegalEntity.id).limit(1)).first()


def _before_flush(session: Session, _context, _instances) -> None:
    from app.services.bounds import check_bounds

    deleted = {id(obj) for obj in session.deleted}  # by id: FAB's models are unhashable
    for obj in list(session.new) + list(session.dirty):
        if id(obj) in deleted:
            continue
        if isinstance(obj, ExchangeRate):
            check_rate(obj)
            check_bounds(obj)
        elif isinstance(obj, LegalEntity):
            check_prefix(obj)
            _check_prefix_kept(session, obj)
            _check_prefix_free(session, obj)
        elif isinstance(obj, Connection) and obj in session.new:
            if obj.legal_entity is None and obj.legal_entity_id is None:
                obj.legal_entity = _first_entity(session)


def install_entity_rules() -> None:
    """Attach the rules to every ORM session (idempotent)."""
    if not event.contains(Session, "before_flush", _before_flush):
        event.listen(Session, "before_flush", _before_flush)
