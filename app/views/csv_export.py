"""CSV download for list views: honours the list's filters and order, streams rows.

Starts with a UTF-8 BOM so Excel opens Japanese text correctly. The rows are read in
batches (a server-side cursor) into a spooled temporary file *before* the response
starts, so the request's database connection goes back to the pool when the view
returns: a slow or vanished client holds a file, never a connection (abandoned streamed
downloads once exhausted the pool). A text cell that a spreadsheet would run as a
formula (``= + - @``, tab, CR) is prefixed with ``'`` (OWASP's rule).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import re
import tempfile
from decimal import Decimal

from flask import Response, request
from flask_appbuilder import expose, has_access
from flask_appbuilder.security.decorators import permission_name
from flask_appbuilder.urltools import get_filter_args
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

BOM = "\ufeff"
# Beyond this a download is written to disk while it is prepared, not kept in memory.
SPOOL_IN_MEMORY = 1 << 20
CHUNK = 64 * 1024
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")


class CsvRequestError(ValueError):
    """A download that cannot be made as asked (e.g. an unknown sort column)."""


def neutralise(text: str) -> str:
    """A cell a spreadsheet would read as a formula, made plain text by a leading ``'``.

    A plain number such as ``-1200`` stays as it is: it is a number, not a formula.
    """
    if text.startswith(_FORMULA_START) and not _PLAIN_NUMBER.match(text):
        return "'" + text
    return text


def csv_cell(value) -> str:
    """One value as CSV text: Decimals exact, dates ISO, records by their name."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if callable(value):
        return csv_cell(value())
    return str(value)


def _resolve(item, path: str):
    value = item
    for part in path.split("."):
        if value is None:
            return None
        value = getattr(value, part)
    return value() if callable(value) else value


class CsvExportMixin:
    """Adds ``/csv`` to a ModelView; the same permission as the list (``can_list``)."""

    list_template = "renkei/list.html"
    #: columns of the CSV (dotted paths allowed); defaults to the list's columns.
    csv_columns: list[str] | None = None
    csv_batch = 500

    def csv_query(self):
        """The list's query under the request's filters and order, without paging."""
        filters = self.datamodel.get_filters(self.search_columns)
        get_filter_args(filters)
        joined = filters.get_joined_filters(self._base_filters)
        order_column, order_direction = self._csv_order()
        if not order_column and self.base_order:
            order_column, order_direction = self.base_order
        query = self.datamodel.session.query(self.datamodel.obj)
        query = self.datamodel.apply_all(query, joined, order_column, order_direction)
        return query.order_by(self.datamodel.obj.id).options(*self._csv_eager_loads())

    def _csv_order(self) -> tuple[str, str]:
        """The asked order (``_oc_<View>``, ``_od_<View>``), refused in words if unknown."""
        name = self.__class__.__name__
        order_column = request.args.get(f"_oc_{name}", "")
        order_direction = request.args.get(f"_od_{name}", "asc" if order_column else "")
        if order_column and order_column not in (self.order_columns or []):
            raise CsvRequestError(_("Cannot sort by %(column)s.", column=order_column))
        if order_column and order_direction not in ("asc", "desc"):
            raise CsvRequestError(
                _("Sort order must be asc or desc, not %(order)s.", order=order_direction)
            )
        return order_column, order_direction

    def _csv_eager_loads(self):
        """Join the many-to-one records the columns name (company.name …): one query
        per batch instead of one per row and relation."""
        mapper = self.datamodel.obj.__mapper__
        names = {c.split(".")[0] for c in (self.csv_columns or self.list_columns)}
        loads = []
        for name in sorted(names):
            relation = mapper.relationships.get(name)
            if relation is not None and not relation.uselist:
                loads.append(joinedload(getattr(self.datamodel.obj, name)))
        return loads

    def csv_rows(self, query):
        """Yield the header, then one row per record of ``query``."""
        columns = self.csv_columns or self.list_columns
        yield [str(self.label_columns.get(c, c)) for c in columns]
        for item in query.yield_per(self.csv_batch):
            yield [csv_cell(_resolve(item, c)) for c in columns]

    @expose("/csv")
    @has_access
    @permission_name("list")
    def csv(self):
        """Stream the filtered list as CSV (400 in words for an unknown sort or filter)."""
        try:
            rows = self.csv_rows(self.csv_query())
        except CsvRequestError as exc:
            return Response(str(exc), status=400, mimetype="text/plain")
        name = f"{self.datamodel.obj.__tablename__}-{dt.date.today().isoformat()}.csv"
        return stream_csv(rows, name)


def write_csv(rows, out) -> None:
    """Write ``rows`` (header first) to the binary file ``out``: BOM, UTF-8, formulas
    neutralised. The one CSV writer of Renkei."""
    text = codecs.getwriter("utf-8")(out)
    text.write(BOM)
    writer = csv.writer(text, lineterminator="\r\n")
    for row in rows:
        writer.writerow([neutralise(str(cell)) for cell in row])


def stream_csv(rows, filename: str) -> Response:
    """``rows`` (header first) as a CSV download: read to the end now, sent in chunks.

    Every row is read while the view runs, so the request's connection is released when
    it returns; the response then only reads a temporary file, closed when the download
    ends or the client goes away.
    """
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)
    try:
        write_csv(rows, spool)
        spool.seek(0)
    except BaseException:
        spool.close()
        raise

    def generate():
        try:
            while chunk := spool.read(CHUNK):
                yield chunk
        finally:
            spool.close()

    response = Response(
        generate(),
        mimetype="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
    response.call_on_close(spool.close)
    return response
