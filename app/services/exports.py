"""Large CSV exports made by a job: where the file and its progress are kept, and who may
download it.

An export is two files in ``RENKEI_EXPORT_DIR`` (default: the instance folder's
``exports/``): ``<id>.json`` (owner, the list's resource and permission, file name, rows
done / in all, state) and ``<id>.csv``. The id is random (uuid4); the download is still
checked: the person who asked, still holding the list's right. On several machines the
directory must be shared by the web and worker machines (a network volume). Files older
than ``RENKEI_EXPORT_KEEP_HOURS`` (24) are removed when a new export starts.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

from flask import current_app

from app.services.errors import NotFound

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
_ID_CHARS = set("0123456789abcdef")


@dataclass
class Export:
    """One export's record."""

    id: str
    owner_id: int
    view: str  # the list view's class name (how the job finds the columns and filters)
    permission: str  # e.g. can_read
    resource: str  # e.g. Deal
    query: str  # the list's query string (filters, order)
    locale: str  # the language of the headers and words
    filename: str
    total: int = 0
    done: int = 0
    state: str = QUEUED
    error: str = ""
    created: float = 0.0
    finished: float = 0.0

    @property
    def percent(self) -> float:
        if self.state == DONE:
            return 100.0
        return 100.0 * self.done / self.total if self.total else 0.0


def folder() -> Path:
    path = Path(
        current_app.config.get("RENKEI_EXPORT_DIR")
        or os.path.join(current_app.instance_path, "exports")
    )
    path.mkdir(parents=True, exist_ok=True)
    return path


def _meta_path(export_id: str) -> Path:
    if len(export_id) != 32 or not set(export_id) <= _ID_CHARS:
        raise NotFound("no such export")
    return folder() / f"{export_id}.json"


def data_path(export: Export) -> Path:
    return folder() / f"{export.id}.csv"


def save(export: Export) -> None:
    """Write the record whole (a reader never sees half of it)."""
    path = _meta_path(export.id)
    partial = path.with_suffix(".json.part")
    partial.write_text(json.dumps(asdict(export)), encoding="utf-8")
    os.replace(partial, path)


def load(export_id: str) -> Export:
    try:
        data = json.loads(_meta_path(export_id).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise NotFound("no such export") from None
    return Export(**data)


def create(**fields) -> Export:
    """A new queued export (and the removal of expired ones)."""
    remove_expired()
    export = Export(id=uuid.uuid4().hex, created=time.time(), **fields)
    save(export)
    return export


def remove_expired(now: float | None = None) -> int:
    """Delete the files of exports older than the kept hours; how many went."""
    keep = float(current_app.config.get("RENKEI_EXPORT_KEEP_HOURS", 24)) * 3600
    limit = (now or time.time()) - keep
    gone = 0
    for path in folder().iterdir():
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
                gone += 1
        except FileNotFoundError:
            continue
    return gone


def may_download(export: Export, user_id: int | None) -> bool:
    """Only the person who asked, and only while they hold the list's right."""
    from app.security.rights import user_may

    if user_id is None or user_id != export.owner_id:
        return False
    return user_may(user_id, export.permission, export.resource)
