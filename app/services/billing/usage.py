"""Usage rows of subscriptions, imported from a CSV file (the screen) or JSON (the API).

A row: subscription (id), metric, date (YYYY-MM-DD), quantity, unit price and, optionally,
tax rate (standard_10 by default). A row is one metric's total of one day
(``uq_subscription_usage_day``). An import is all or nothing: every row is checked
first and any refusal names its row and field (「3行目: 数量 …」); then all rows are
inserted in one transaction. The same file imported twice, or by N requests at once,
goes in once: the rows already there are refused in words, and the unique constraint
refuses what two imports at the same instant would both insert.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models.choices import TAX_RATES
from app.models.subscriptions import Subscription, SubscriptionUsage
from app.services.bounds import check_single_line
from app.services.errors import InvalidInput
from app.services.money import check_decimal
from app.services.sync.clock import business_today

COLUMNS = ("subscription", "metric", "date", "quantity", "unit_price", "tax_rate")
REQUIRED = COLUMNS[:5]
MAX_ROWS = 10_000


class UsageRefused(InvalidInput):
    """Rows refused, one sentence each; nothing was imported."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(" ".join(problems[:20]), field="rows")


def read_csv(data: bytes | str) -> list[dict]:
    """The rows of a CSV file (UTF-8, with or without BOM; header names as COLUMNS)."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise UsageRefused([_("The file is not UTF-8 text (save it as CSV UTF-8).")]) from None
    reader = csv.DictReader(io.StringIO(data.lstrip("\ufeff")))
    header = [name.strip() for name in (reader.fieldnames or [])]
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise UsageRefused(
            [
                _(
                    "The header lacks %(names)s (columns: %(all)s).",
                    names=", ".join(missing),
                    all=", ".join(COLUMNS),
                )
            ]
        )
    reader.fieldnames = header
    rows = []
    for row in reader:
        rows.append({k: (v or "").strip() for k, v in row.items() if k is not None})
        if len(rows) > MAX_ROWS:
            raise UsageRefused([_("At most %(n)s rows per file.", n=MAX_ROWS)])
    return rows


def _day(value) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise InvalidInput(_("the date is not YYYY-MM-DD"), "date") from None


def _check(row: dict, subscriptions: dict, today: dt.date) -> dict:
    if not isinstance(row, dict):
        raise InvalidInput(_("a row is an object"), "row")
    raw = row.get("subscription")
    try:
        sid = int(str(raw).strip())
    except (TypeError, ValueError):
        raise InvalidInput(_("no subscription %(id)s", id=raw), "subscription") from None
    if sid not in subscriptions:
        subscriptions[sid] = db.session.get(Subscription, sid) if abs(sid) < 2**63 else None
    subscription = subscriptions[sid]
    if subscription is None:
        raise InvalidInput(_("no subscription %(id)s", id=raw), "subscription")
    metric = row.get("metric")
    if not isinstance(metric, str) or not metric.strip() or len(metric.strip()) > 100:
        raise InvalidInput(_("the metric is a name of 1 to 100 characters"), "metric")
    check_single_line(metric, "metric", _("The metric"))
    used_on = _day(row.get("date"))
    if used_on < subscription.start_date:
        raise InvalidInput(_("the date is before the subscription's start"), "date")
    if used_on > today:
        raise InvalidInput(_("the date is in the future"), "date")
    if subscription.ends_on is not None and used_on >= subscription.ends_on:
        raise InvalidInput(_("the date is after the subscription's end"), "date")
    quantity = check_decimal(_text(row.get("quantity")), "quantity", _("The quantity"))
    if quantity <= 0:
        raise InvalidInput(_("the quantity is more than zero"), "quantity")
    price = check_decimal(_text(row.get("unit_price")), "unit_price", _("The unit price"))
    if price < 0:
        raise InvalidInput(_("the unit price is zero or more"), "unit_price")
    rate = row.get("tax_rate") or "standard_10"
    if not isinstance(rate, str) or rate not in TAX_RATES:
        raise InvalidInput(_("unknown tax rate %(code)s", code=rate), "tax_rate")
    return {
        "subscription_id": sid,
        "metric": metric.strip(),
        "used_on": used_on,
        "quantity": quantity,
        "unit_price": price,
        "tax_rate": rate,
    }


def _text(value) -> str:
    if value is None or isinstance(value, bool):
        return ""
    return str(value)


def import_rows(rows: list, *, user=None, today: dt.date | None = None) -> int:
    """Check every row, then insert them all at once; UsageRefused lists each bad row."""
    today = today or business_today()
    if not isinstance(rows, list) or not rows:
        raise UsageRefused([_("There are no rows to import.")])
    if len(rows) > MAX_ROWS:
        raise UsageRefused([_("At most %(n)s rows per file.", n=MAX_ROWS)])
    subscriptions: dict = {}
    checked, problems, seen = [], [], {}
    for number, row in enumerate(rows, start=1):
        try:
            values = _check(row, subscriptions, today)
        except InvalidInput as refusal:
            problems.append(
                _(
                    "Row %(n)s (%(field)s): %(why)s.",
                    n=number,
                    field=refusal.field,
                    why=str(refusal).rstrip("."),
                )
            )
            continue
        key = (values["subscription_id"], values["metric"], values["used_on"])
        if key in seen:
            problems.append(
                _(
                    "Row %(n)s repeats row %(m)s (same subscription, metric and day).",
                    n=number,
                    m=seen[key],
                )
            )
            continue
        seen[key] = number
        checked.append(values)
    if checked and not problems:
        existing = {
            (u.subscription_id, u.metric, u.used_on)
            for u in db.session.query(SubscriptionUsage).filter(
                SubscriptionUsage.subscription_id.in_({v["subscription_id"] for v in checked})
            )
        }
        for key, number in seen.items():
            if key in existing:
                problems.append(
                    _(
                        "Row %(n)s was already imported (same subscription, metric and day).",
                        n=number,
                    )
                )
    if problems:
        db.session.rollback()
        raise UsageRefused(problems)
    db.session.add_all(
        SubscriptionUsage(imported_by_id=getattr(user, "id", None), **values) for values in checked
    )
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise UsageRefused(
            [_("Some rows were imported meanwhile by another request; nothing was imported.")]
        ) from None
    return len(checked)
