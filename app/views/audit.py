"""Documents → Audit trail: every change of every document, searchable, downloadable as
CSV, and exported per fiscal year. Read-only: no add, edit or delete route exists."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import current_app, flash, g, redirect, request, url_for
from flask_appbuilder import ModelView, expose, has_access
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.filters import FilterEqual, SQLAFilterConverter
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models.audit import AUDIT_ACTIONS, AuditEntry
from app.models.documents import Document
from app.security.permissions import READ_ONLY_VERBS
from app.services.documents import approvals
from app.services.documents.lifecycle import today_tokyo
from app.views.audit_words import entry_value
from app.views.csv_export import CsvExportMixin, csv_cell, neutralise, stream_csv
from app.views.datamodel import RenkeiInterface
from app.views.document_labels import AUDIT_ACTION_LABELS, field_label
from app.views.documents import _select
from app.views.widgets import LinkedListWidget

TOKYO = ZoneInfo("Asia/Tokyo")
CSV_COLUMNS = [
    "at",
    "document_number",
    "username",
    "action",
    "field",
    "old_value",
    "new_value",
    "note",
    "document_id",
    "line_id",
]


def tokyo_midnight_utc(day: dt.date) -> dt.datetime:
    """The naive UTC instant at which ``day`` starts in Tokyo (times are stored so)."""
    start = dt.datetime.combine(day, dt.time(), tzinfo=TOKYO)
    return start.astimezone(dt.UTC).replace(tzinfo=None)


def fiscal_year_bounds(year: int, start_month: int) -> tuple[dt.datetime, dt.datetime]:
    """Fiscal ``year`` (e.g. 2026 = April 2026 – March 2027) as naive UTC [start, end)."""
    first = dt.date(year, start_month, 1)
    return tokyo_midnight_utc(first), tokyo_midnight_utc(first.replace(year=year + 1))


def tokyo_iso(value: dt.datetime) -> str:
    """A stored time as ISO 8601 in Tokyo, with its offset (unambiguous in a spreadsheet)."""
    return value.replace(tzinfo=dt.UTC).astimezone(TOKYO).isoformat(timespec="seconds")


def shorten(text, limit: int = 60) -> str:
    """A value cut for the list (the full one is on the entry's page and in the CSV)."""
    text = readable(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def readable(text) -> str:
    """A stored value for a person: an approval's reasons (kept as data) in their language."""
    text = "" if text is None else str(text)
    if text.startswith("[{"):
        return " / ".join(approvals.reasons_in_words(text))
    return text


def audit_row(entry: AuditEntry) -> list[str]:
    """One CSV row of the trail."""
    return [
        tokyo_iso(entry.at) if name == "at" else csv_cell(getattr(entry, name))
        for name in CSV_COLUMNS
    ]


class _DayBound(BaseFilter):
    """A Tokyo calendar day as a bound on a stored UTC time."""

    def apply(self, query, value):
        try:
            day = dt.date.fromisoformat(str(value).strip()[:10])
        except ValueError:
            return query
        column = getattr(self.model, self.column_name)
        return query.filter(self.compare(column, day))


class FilterDayFrom(_DayBound):
    name = _l("From")
    arg_name = "day_from"

    def compare(self, column, day):
        return column >= tokyo_midnight_utc(day)


class FilterDayTo(_DayBound):
    name = _l("To")
    arg_name = "day_to"

    def compare(self, column, day):
        return column < tokyo_midnight_utc(day + dt.timedelta(days=1))


class AuditFilterConverter(SQLAFilterConverter):
    """Dates of the trail are Tokyo days; the action is one of a few codes."""

    def convert(self, col_name):
        if col_name == "at":
            return [FilterDayFrom(col_name, self.datamodel), FilterDayTo(col_name, self.datamodel)]
        if col_name == "action":
            return [FilterEqual(col_name, self.datamodel)]
        return super().convert(col_name)


def _currency_of(document_id) -> str | None:
    """The currency of the document an entry belongs to (one query per document a page)."""
    cache = g.setdefault("renkei_audit_currencies", {})
    if document_id not in cache:
        cache[document_id] = (
            db.session.query(Document.currency).filter(Document.id == document_id).scalar()
        )
    return cache[document_id]


class AuditInterface(RenkeiInterface):
    """Values in words (codes as labels, money with its currency, records by name).

    The trail's list counts at most ``count_cap`` + 1 rows.

    FAB counts every matching row for its pager; over a trail of millions that count is
    the slowest statement of the page. Past the cap the pager stops at the cap and the
    page says so (``g.audit_count_capped``); filters narrow the trail to page further.
    """

    filter_converter_class = AuditFilterConverter
    count_cap = 10_000

    def query_count(self, query, filters=None, select_columns=None) -> int:
        inner = self._apply_inner_all(
            query, filters, select_columns=select_columns, aliases_mapping={}
        )
        counted = inner.order_by(None).limit(self.count_cap + 1).count()
        g.audit_count_capped = counted > self.count_cap
        g.audit_count_cap = self.count_cap
        return min(counted, self.count_cap)

    def _wrap(self, item, col, value):
        if col in ("old_value", "new_value"):
            return entry_value(item, value, _currency_of(item.document_id))
        return super()._wrap(item, col, value)


class AuditTrailView(CsvExportMixin, ModelView):
    """The audit trail, read-only."""

    route_base = "/audittrail"
    class_permission_name = "AuditTrail"
    method_permission_name = READ_ONLY_VERBS
    include_route_methods = {
        "list",
        "show",
        "csv",
        "export",
        "csv_job",
        "csv_job_progress",
        "csv_job_download",
    }
    base_permissions = ["can_read"]
    datamodel = AuditInterface(AuditEntry)
    list_widget = LinkedListWidget
    list_template = "renkei/audit_list.html"
    list_title = _l("Audit trail")
    show_title = _l("Audit entry")
    page_size = 50
    label_columns = {
        "at": _l("When"),
        "document_number": _l("Document"),
        "document_id": _l("Document ID"),
        "line_id": _l("Line ID"),
        "username": _l("User"),
        "user_id": _l("User ID"),
        "action": _l("What"),
        "field": _l("Field"),
        "old_value": _l("Old value"),
        "new_value": _l("New value"),
        "note": _l("Note"),
        "id": _l("ID"),
    }
    list_columns = [
        "at",
        "document_number",
        "username",
        "action",
        "field",
        "old_value",
        "new_value",
    ]
    show_columns = ["at", *CSV_COLUMNS[1:], "user_id"]
    csv_columns = CSV_COLUMNS
    search_columns = ["document_number", "username", "action", "field", "at"]
    order_columns = ["at", "document_number", "username", "action"]
    base_order = ("id", "desc")
    formatters_columns = {
        "action": lambda code: AUDIT_ACTION_LABELS.get(code, code),
        "field": field_label,
        # a hash or a long text would squeeze every other column; the show page has it all
        "old_value": lambda text: shorten(text),
        "new_value": lambda text: shorten(text),
    }
    search_form_extra_fields = {
        "action": _select(
            _l("What"), [(code, AUDIT_ACTION_LABELS.get(code, code)) for code in AUDIT_ACTIONS]
        ),
    }
    extra_args = {"this_fiscal_year": lambda: fiscal_year_of(today_tokyo())}

    def csv_rows(self, query, progress=None):
        """The header, then the trail with times in Tokyo, many rows at a time."""
        yield [[str(self.label_columns.get(c, c)) for c in CSV_COLUMNS]]
        batch, done = [], 0
        for entry in query.yield_per(self.csv_batch):
            batch.append([neutralise(cell) for cell in audit_row(entry)])
            if len(batch) >= self.csv_batch:
                yield batch
                done += len(batch)
                batch = []
                if progress is not None:
                    progress(done)
        if batch:
            yield batch

    @expose("/export")
    @has_access
    def export(self):
        """The whole trail of one fiscal year (``?fy=2026``) as CSV."""
        start_month = current_app.config.get("FISCAL_YEAR_START_MONTH", 4)
        try:
            year = int(request.args.get("fy", ""))
            start, end = fiscal_year_bounds(year, start_month)
        except ValueError:
            flash(_("Give the fiscal year as a number, e.g. fy=2026."), "danger")
            return redirect(url_for(".list"))
        query = (
            self.datamodel.session.query(AuditEntry)
            .filter(AuditEntry.at >= start, AuditEntry.at < end)
            .order_by(AuditEntry.at, AuditEntry.id)
        )
        return stream_csv(self.csv_rows(query), f"audit-trail-FY{year}.csv", grouped=True)


def fiscal_year_of(day: dt.date, start_month: int | None = None) -> int:
    """The fiscal year ``day`` falls in (April 2026 – March 2027 is 2026)."""
    if start_month is None:
        start_month = current_app.config.get("FISCAL_YEAR_START_MONTH", 4)
    return day.year if day.month >= start_month else day.year - 1
