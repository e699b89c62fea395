"""Show money with its currency's own minor units in lists and show pages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

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
        for item in lst:
            yield {c: self._wrap(item, c, self._get_attr_value(item, c)) for c in list_columns}
