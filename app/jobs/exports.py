"""The CSV export job: a list too big to send while the request waits is written here.

It finds the list view by name in the app's registry (jobs do not import views), rebuilds
the request the person made (the list's filters and order, their language) and writes
the file with the view's own columns, updating the progress as partitions are written.
"""

from __future__ import annotations

import logging
import time

from flask import current_app
from flask_babel import force_locale

from app.jobs.queue import job
from app.security.rights import require
from app.services import exports, launchers
from app.services.csv_cells import write_csv

log = logging.getLogger(__name__)
# the progress record is rewritten at most this often (seconds)
PROGRESS_EVERY = 0.5


def _view(name: str):
    for view in current_app.appbuilder.baseviews:
        if type(view).__name__ == name:
            return view
    raise LookupError(f"no view {name!r}")


@job(queue="default", timeout=3 * 3600)
def export_csv(export_id: str, as_user: int | None = None) -> int:
    """Write export ``export_id`` (rights checked now, as the person who asked); rows."""
    export = exports.load(export_id)
    try:
        require(as_user, export.permission, export.resource)
        if as_user != export.owner_id:
            raise PermissionError("an export is written for the person who asked")
        started = time.monotonic()
        rows = _write(export)
    except Exception as exc:
        export.state, export.error = exports.FAILED, str(exc)[:500]
        export.finished = time.time()
        exports.save(export)
        raise
    log.info(
        "csv export %s of %s for user %s: %s rows in %.1f s",
        export.id,
        export.view,
        export.owner_id,
        rows,
        time.monotonic() - started,
    )
    return rows


def _write(export) -> int:
    view = _view(export.view)
    last = [0.0]

    def progress(done: int) -> None:
        now = time.monotonic()
        if now - last[0] >= PROGRESS_EVERY:
            last[0] = now
            export.done = done
            exports.save(export)

    path = exports.data_path(export)
    partial = path.with_suffix(".csv.part")
    with current_app.test_request_context(f"/?{export.query}"), force_locale(export.locale):
        query = view.csv_query()
        export.total, export.state = query.order_by(None).count(), exports.RUNNING
        exports.save(export)
        with partial.open("wb") as out:
            write_csv(view.csv_rows(query, progress), out, grouped=True)
    partial.replace(path)
    export.done, export.state, export.finished = export.total, exports.DONE, time.time()
    exports.save(export)
    return export.total


def wire(app) -> None:
    """Let the list views of ``app`` queue exports."""
    launchers.register(app, "csv_export", export_csv.enqueue)
