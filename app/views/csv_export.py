"""CSV download for list views: honours the list's filters and order, in the reader's words.

The list's query (FAB's filters and order) is narrowed to the CSV's columns — one SQL
select of plain values with outer joins for ``company.name`` …, never ORM objects — and
read in partitions of ``csv_batch`` rows (a server-side cursor on PostgreSQL). Each
column's cell writer is chosen once from its SQL type (csv_cells: Tokyo times with their
offset, exact Decimals) or from ``csv_words`` (codes → the screen's words); rows are
written many at a time. Headers are the screen's labels in the reader's language.

Up to ``RENKEI_CSV_INLINE_MAX_ROWS`` rows (50,000) the file is written while the view
runs into a spooled temporary file and then sent in chunks, so the request's database
connection goes back to the pool when the view returns: a slow or vanished client holds a
file, never a connection. More rows become a job (app/jobs/exports.py) with a progress
page and a download link, checked at download (the person who asked, still holding the
list's right): a big export is never cut by the web server's timeout.

Starts with a UTF-8 BOM so Excel opens Japanese text correctly; a text cell that a
spreadsheet would run as a formula (``= + - @``, tab, CR) is prefixed with ``'``.
"""

from __future__ import annotations

import tempfile
from urllib.parse import quote, urlencode

import sqlalchemy as sa
from flask import (
    Response,
    abort,
    current_app,
    g,
    jsonify,
    redirect,
    request,
    send_file,
    url_for,
)
from flask_appbuilder import expose, has_access
from flask_appbuilder.security.decorators import permission_name
from flask_appbuilder.urltools import get_filter_args
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy.orm import aliased

from app.services import csv_cells, exports, launchers
from app.services.csv_cells import CHUNK, csv_cell, neutralise, write_csv
from app.services.documents.lifecycle import today_tokyo
from app.services.errors import NotFound

__all__ = ["CsvExportMixin", "csv_cell", "neutralise", "stream_csv", "write_csv"]

# Beyond this a download is written to disk while it is prepared, not kept in memory.
SPOOL_IN_MEMORY = 1 << 20
EXPORT_JOB = "csv_export"
DEFAULT_INLINE_MAX_ROWS = 50_000


class CsvRequestError(ValueError):
    """A download that cannot be made as asked (e.g. an unknown sort column)."""


def display_name(relation: str):
    """A csv_expressions entry: the person of ``relation`` by name as the screens show
    people (FAB's first and last name), not by login name."""

    def expression(_model, joined):
        person = joined(relation)
        return sa.func.trim(
            sa.func.coalesce(person.first_name, "") + " " + sa.func.coalesce(person.last_name, "")
        )

    return expression


def inline_max_rows() -> int:
    return int(current_app.config.get("RENKEI_CSV_INLINE_MAX_ROWS", DEFAULT_INLINE_MAX_ROWS))


class CsvExportMixin:
    """Adds ``/csv`` to a ModelView; the same permission as the list (``can_list``)."""

    list_template = "renkei/list.html"
    #: columns of the CSV (dotted paths through many-to-one relations); default: the list's.
    csv_columns: list[str] | None = None
    #: column → f(model, joined) → SQL expression: computed columns (a balance, a person's
    #: name); ``joined("owner")`` is the outer-joined record of a many-to-one relation
    csv_expressions: dict = {}
    #: column → {code: label}: the words shown on screen instead of the stored code
    csv_words: dict = {}
    #: the file name's first word (in the reader's language), e.g. _l("invoices")
    csv_name = None
    csv_batch = 2_000

    def csv_extra_columns(self, model) -> list[tuple[str, object]]:
        """(header, SQL expression) of columns known only when the request comes (the
        companies' custom fields), written after the standard ones; none by default."""
        return []

    # ---- the query -------------------------------------------------------------------

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
        return query.order_by(self.datamodel.obj.id)

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

    def _csv_column_names(self) -> list[str]:
        return list(self.csv_columns or self.list_columns)

    def csv_select(self, query, extras=()):
        """``query`` narrowed to the CSV's columns (plain values, outer joins per relation)
        and ``extras`` (``csv_extra_columns``), and the writer of each column."""
        model = self.datamodel.obj
        joins: dict[str, object] = {}
        columns, writers = [], []

        def joined(relation: str):
            """The (aliased) record of a many-to-one ``relation``, outer-joined once."""
            if relation not in joins:
                joins[relation] = aliased(getattr(model, relation).property.mapper.class_)
            return joins[relation]

        for name in self._csv_column_names():
            if name in self.csv_expressions:
                column = self.csv_expressions[name](model, joined).label(name)
            elif "." in name:
                relation, attribute = name.split(".", 1)
                column = getattr(joined(relation), attribute).label(name.replace(".", "_"))
            else:
                column = getattr(model, name)
            columns.append(column)
            labels = self.csv_words.get(name)
            writers.append(csv_cells.words(labels) if labels else csv_cells.for_type(column.type))
        for index, (_header, expression) in enumerate(extras):
            columns.append(expression.label(f"extra_{index}"))
            writers.append(csv_cells.for_type(expression.type))
        for relation, target in joins.items():
            query = query.outerjoin(target, getattr(model, relation).of_type(target))
        return query.with_entities(*columns).statement, writers

    def csv_header(self, extras=()) -> list[str]:
        labels = self.label_columns
        return [
            str(labels.get(name) or labels.get(name.split(".")[0]) or name)
            for name in self._csv_column_names()
        ] + [str(header) for header, _expression in extras]

    def csv_rows(self, query, progress=None):
        """Yield the header, then lists of rows of ``query`` (many rows per item)."""
        extras = self.csv_extra_columns(self.datamodel.obj)  # read once: header and cells agree
        statement, writers = self.csv_select(query, extras)
        yield [self.csv_header(extras)]
        pairs = list(enumerate(writers))
        done = 0
        # options of this statement only (Connection.execution_options would change the
        # session's connection for every later statement)
        statement = statement.execution_options(yield_per=self.csv_batch)
        result = self.datamodel.session.connection().execute(statement)
        for rows in result.partitions():
            yield [[write(row[i]) for i, write in pairs] for row in rows]
            done += len(rows)
            if progress is not None:
                progress(done)

    def csv_filename(self) -> str:
        """The list's name in the reader's words and Tokyo's date: invoices-2026-12-02.csv,
        請求書-2026-12-02.csv."""
        first = str(self.csv_name or self.list_title or self.datamodel.obj.__tablename__)
        return f"{first.lower().replace(' ', '-')}-{today_tokyo().isoformat()}.csv"

    # ---- the routes ------------------------------------------------------------------

    @expose("/csv")
    @has_access
    @permission_name("list")
    def csv(self):
        """The filtered list as CSV; a list beyond the inline size becomes a job
        (400 in words for an unknown sort or filter)."""
        try:
            query = self.csv_query()
            if query.order_by(None).count() > inline_max_rows():
                return self._csv_start_job()
            rows = self.csv_rows(query)
            spool = spool_csv(rows, grouped=True)
        except CsvRequestError as exc:
            return Response(str(exc), status=400, mimetype="text/plain")
        return send_spool(spool, self.csv_filename())

    def _csv_start_job(self):
        export = exports.create(
            owner_id=g.user.id,
            view=type(self).__name__,
            permission=self._csv_permission(),
            resource=self.class_permission_name,
            query=urlencode(list(request.args.items(multi=True))),
            locale=str(get_locale() or "en"),
            filename=self.csv_filename(),
        )
        launchers.launch(EXPORT_JOB, export.id, as_user=g.user.id)
        return redirect(url_for(".csv_job", export_id=export.id))

    def _csv_permission(self) -> str:
        verb = (self.method_permission_name or {}).get("list", "list")
        return f"can_{verb}"

    def _csv_export(self, export_id: str):
        try:
            export = exports.load(export_id)
        except NotFound:
            abort(404)
        if export.view != type(self).__name__ or not exports.may_download(export, g.user.id):
            abort(403)
        return export

    @expose("/csv/job/<export_id>")
    @has_access
    @permission_name("list")
    def csv_job(self, export_id):
        """The export's page: progress while it runs, then the download link."""
        export = self._csv_export(export_id)
        return self.render_template(
            "renkei/csv_export.html",
            export=export,
            title=_("CSV export"),
            progress_url=url_for(".csv_job_progress", export_id=export.id),
            download_url=url_for(".csv_job_download", export_id=export.id),
            list_url=url_for(".list"),
        )

    @expose("/csv/job/<export_id>/progress")
    @has_access
    @permission_name("list")
    def csv_job_progress(self, export_id):
        """The progress as the progress bar reads it (renkei-progress.js)."""
        export = self._csv_export(export_id)
        return jsonify(
            percent=round(export.percent, 1),
            done=export.done,
            total=export.total,
            finished=export.state in (exports.DONE, exports.FAILED),
            failed=export.state == exports.FAILED,
            message=_("The export failed.") if export.state == exports.FAILED else "",
            download_url=url_for(".csv_job_download", export_id=export.id)
            if export.state == exports.DONE
            else None,
        )

    @expose("/csv/job/<export_id>/download")
    @has_access
    @permission_name("list")
    def csv_job_download(self, export_id):
        """The finished file (404 while it is being written)."""
        export = self._csv_export(export_id)
        path = exports.data_path(export)
        if export.state != exports.DONE or not path.exists():
            abort(404)
        return send_file(
            path, mimetype="text/csv", as_attachment=True, download_name=export.filename
        )


def spool_csv(rows, grouped: bool = False):
    """``rows`` written now to a spooled temporary file, rewound."""
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)
    try:
        write_csv(rows, spool, grouped=grouped)
        spool.seek(0)
    except BaseException:
        spool.close()
        raise
    return spool


def send_spool(spool, filename: str) -> Response:
    """A written spool as a download sent in chunks, closed when it ends or the client
    goes away."""

    def generate():
        try:
            while chunk := spool.read(CHUNK):
                yield chunk
        finally:
            spool.close()

    response = Response(
        generate(),
        mimetype="text/csv; charset=utf-8",
        headers={"Content-Disposition": content_disposition(filename)},
    )
    response.call_on_close(spool.close)
    return response


def content_disposition(filename: str) -> str:
    """An attachment header that carries a Japanese file name (RFC 6266 / 5987)."""
    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


def stream_csv(rows, filename: str, grouped: bool = False) -> Response:
    """``rows`` (header first, one per item; or lists of rows when ``grouped``) as a CSV
    download: read to the end now, sent in chunks (the request's connection is released
    when the view returns)."""
    return send_spool(spool_csv(rows, grouped=grouped), filename)
