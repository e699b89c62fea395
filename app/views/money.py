"""Show money with its currency's own minor units in lists and show pages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import get_locale
from flask_babel import gettext as _

from app.services.money import format_money


class Money:
    """An amount and its currency, rendered for the reader's locale."""

    def __init__(self, amount: Decimal | None, currency: str):
        self.amount = amount
        self.currency = currency or "JPY"

    def __str__(self) -> str:
        locale = str(get_locale() or "ja_JP")
        return format_money(self.amount, self.currency, locale=locale)

    __html__ = __str__


class YesNo:
    """A yes/no column as words (はい/いいえ); still false in a formatter's ``if``."""

    def __init__(self, value: bool):
        self.value = bool(value)

    def __bool__(self) -> bool:
        return self.value

    def __str__(self) -> str:
        return _("Yes") if self.value else _("No")

    __html__ = __str__


def local_time(value: dt.datetime) -> str:
    """A stored (naive UTC) time shown in the display zone, to the minute."""
    zone = ZoneInfo(current_app.config.get("RENKEI_DISPLAY_TIMEZONE", "Asia/Tokyo"))
    return value.replace(tzinfo=dt.UTC).astimezone(zone).strftime("%Y-%m-%d %H:%M")


class MoneyInterface(SQLAInterface):
    """Values for lists and show pages: money as Money (the column stays sortable),
    times in the display zone, None as blank."""

    money_columns: dict[str, str] = {}

    def _wrap(self, item, col, value):
        if value is None:
            return ""
        if isinstance(value, dt.datetime):
            return local_time(value)
        if isinstance(value, bool):
            return YesNo(value)
        if col in self.money_columns and value is not None and value != "":
            currency = item
            for part in self.money_columns[col].split("."):
                currency = getattr(currency, part, None)
            return Money(value, currency or "JPY")
        return value

    def get_values_item(self, item, show_columns):
        return [self._wrap(item, c, self._get_attr_value(item, c)) for c in show_columns]

    def get_values(self, lst, list_columns):
        lst = list(lst)
        loaded = self._preload_relations(lst, list_columns)  # held while the rows render
        for item in lst:
            yield {c: self._wrap(item, c, self._get_attr_value(item, c)) for c in list_columns}
        del loaded

    def _preload_relations(self, items, columns) -> list:
        """The related rows a page's columns show (its company, owner …), one statement per
        relation: lists no longer load every company for a filter dropdown, which used to
        fill the session with them by chance."""
        mapper = sa.inspect(self.obj)
        loaded = []
        for name in {c.split(".", 1)[0] for c in columns}:
            prop = mapper.relationships.get(name)
            if prop is None or prop.uselist or len(prop.local_columns) != 1:
                continue
            key = mapper.get_property_by_column(next(iter(prop.local_columns))).key
            ids = {getattr(item, key) for item in items} - {None}
            if ids:
                target = prop.mapper.class_
                primary = prop.mapper.primary_key[0]
                loaded += self.session.query(target).filter(primary.in_(ids)).all()
        return loaded
