"""What the billing APIs share: their base (VerbApi's bad-input guard), a record or 404,
a date, text and a number read from a body, money as text."""

from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _

from app.api.base import VerbApi
from app.extensions import db
from app.services.errors import InvalidInput, NotFound
from app.views.list_arguments import integer_error


class BillingApi(VerbApi):
    route_base = "/api/v1"
    allow_browser_login = True


def record(model, pk, words: str):
    if integer_error(pk):
        raise NotFound(words)
    found = db.session.get(model, pk)
    if found is None:
        raise NotFound(words)
    return found


def day(value, field: str) -> dt.date:
    if not isinstance(value, str):
        raise InvalidInput(_("Give the date as YYYY-MM-DD."), field=field)
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(_("Give the date as YYYY-MM-DD."), field=field) from None


def text(value, field: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInput(_("Give text."), field=field)
    return value


def number(value, field: str):
    """A number as JSON gives it (int, float → its text, str); refuses other types."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise InvalidInput(_("Give a number."), field=field)
    return str(value)


def money(value) -> str | None:
    return None if value is None else format(value, "f")
