"""List arguments in the URL (order, page, page size, filters) checked before FAB reads them.

FAB turns ``page_<View>=abc`` into ``int("abc")``, sends ``_oc_<View>=nope`` to the
database as an ORDER BY, and hands filter values to SQL as they came: each of these ends
in a 500. A bad one is taken out of the request before the view reads it, and a flash
on the page says which argument was ignored and why; a CSV download answers 400 in words.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from flask import Response, current_app, flash, request
from flask_appbuilder.baseviews import BaseModelView
from flask_babel import gettext as _
from werkzeug.datastructures import ImmutableMultiDict

# Largest id or integer both databases hold (SQLite INTEGER, PostgreSQL BIGINT).
MAX_INTEGER = 2**63 - 1
MAX_PAGE = 10**6
MAX_PAGE_SIZE = 1000
_BOOLEANS = {"y", "n", "yes", "no", "true", "false", "t", "f", "on", "off", "1", "0"}
_LIST_ARGUMENT = re.compile(r"^(?:_oc_|_od_|page_|psize_|_flt_\d+_)(.+)$")


def integer_error(value) -> str | None:
    """Why ``value`` is not a whole number both databases can hold (None when it is)."""
    if isinstance(value, bool):
        return _("a whole number is expected")
    if isinstance(value, str):
        text = value.strip()
        if not re.fullmatch(r"[+-]?[0-9]{1,20}", text):
            return _("a whole number is expected")
        value = int(text)
    if not isinstance(value, int):
        return _("a whole number is expected")
    if abs(value) > MAX_INTEGER:
        return _("the number is too large")
    return None


def number_error(value) -> str | None:
    """Why ``value`` is not a finite decimal number (None when it is)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        return _("a number is expected")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return _("a number is expected")
    if not number.is_finite():
        return _("a number is expected")
    if abs(number) > MAX_INTEGER:
        return _("the number is too large")
    return None


def _date_error(value, parse) -> str | None:
    try:
        parse(str(value).strip())
    except ValueError:
        return _("a date is expected (YYYY-MM-DD)")
    return None


def column_value_error(datamodel, column: str, value) -> str | None:
    """Why ``value`` cannot be compared with ``column`` of ``datamodel`` (None when it can)."""
    if isinstance(value, list | tuple):
        return next((e for v in value if (e := column_value_error(datamodel, column, v))), None)
    if isinstance(value, str) and "\x00" in value:
        return _("the text contains a NUL character")
    try:
        if datamodel.is_relation(column) or datamodel.is_integer(column):
            return integer_error(value)
        if datamodel.is_numeric(column) or datamodel.is_float(column):
            return number_error(value)
        if datamodel.is_datetime(column):
            return _date_error(value, dt.datetime.fromisoformat)
        if datamodel.is_date(column):
            return _date_error(value, dt.date.fromisoformat)
        if datamodel.is_string(column) or datamodel.is_text(column):
            return None if isinstance(value, str) else _("text is expected: quote it")
        if datamodel.is_boolean(column):
            return None if str(value).strip().lower() in _BOOLEANS else _("yes or no is expected")
        if datamodel.is_binary(column):
            return _("this column cannot be searched")
    except (KeyError, AttributeError):  # a computed column: its filter parses the value
        return None
    return None


def _views_by_name():
    return {
        type(view).__name__: view
        for view in current_app.appbuilder.baseviews
        if isinstance(view, BaseModelView)
    }


def _argument_error(view, key: str, value: str) -> str | None:
    if "\x00" in value:
        return _("the text contains a NUL character")
    if key.startswith("page_"):
        return integer_error(value) or (
            _("the page is out of range") if not 0 <= int(value) <= MAX_PAGE else None
        )
    if key.startswith("psize_"):
        return integer_error(value) or (
            _("the page size is out of range") if not 0 < int(value) <= MAX_PAGE_SIZE else None
        )
    if view is None:
        return None
    if key.startswith("_oc_"):
        return None if value in (view.order_columns or []) else _("no such column to sort by")
    if key.startswith("_od_"):
        return None if value in ("asc", "desc") else _("sort asc or desc")
    column = re.sub(r"^_flt_\d+_", "", key)
    if column not in view._filters.get_search_filters():
        return None  # FAB ignores filters on columns that are not searchable
    return column_value_error(view.datamodel, column, value)


def refuse_bad_list_arguments():
    """Before a screen request: drop bad list arguments, saying so in a flash."""
    if request.method != "GET" or request.blueprint is None or request.path.startswith("/api/"):
        return None
    if not any(_LIST_ARGUMENT.match(key) for key in request.args):
        return None
    views = _views_by_name()
    this_view = views.get(request.blueprint)
    kept, dropped = [], []
    for key, value in request.args.items(multi=True):
        match = _LIST_ARGUMENT.match(key)
        if match is None:
            kept.append((key, value))
            continue
        named = views.get(match.group(1)) if not key.startswith("_flt_") else this_view
        error = _argument_error(named, key, value)
        if error:
            dropped.append(f"{key}={value[:40]}: {error}")
        else:
            kept.append((key, value))
    if not dropped:
        return None
    if (request.endpoint or "").endswith(".csv"):  # a download has no page to flash on
        return Response(_("Bad list settings: %(details)s", details="; ".join(dropped)), 400)
    flash(_("Some list settings were ignored: %(details)s", details="; ".join(dropped)), "warning")
    request.args = ImmutableMultiDict(kept)  # the view reads the arguments without them
    return None
