"""The audit trail: every create, change and transition of a document and what hangs on it.

Rows are written in ``after_flush`` on the flush's own connection, so they commit or roll
back with the change they describe, whatever door it came through. Rows are never
updated or deleted (the model and the database refuse it).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from app.models.audit import AuditEntry
from app.models.crm import utcnow
from app.models.documents import ApprovalRequest, Document, DocumentLine, Payment
from app.models.publishing import DocumentPdf, EmailDispatch
from app.services.actor import current_actor
from app.services.documents.rules import LINE_MOVES

# Columns whose change is worth a line; bookkeeping columns are left out.
_SKIP = frozenset({"id", "document_id", "position", "logo", "content"})
# What each watched model is called in the trail, and the fields that say most about it.
_WATCHED = {
    Document: None,
    DocumentLine: None,
    Payment: "payment",
    ApprovalRequest: "approval",
    EmailDispatch: "send",
    DocumentPdf: "pdf",
}


def text(value) -> str | None:
    """A value as the trail stores it: Decimal without trailing zeros, dates ISO."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        value = value.normalize()
        return format(value, "f")
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return str(value)


def _columns(obj):
    state = inspect(obj)
    for attr in state.mapper.column_attrs:
        # Who and when are the entry's own columns; *_by_id and *_at would repeat them.
        if attr.key not in _SKIP and not attr.key.endswith(("_by_id", "_at")):
            yield attr.key, state.attrs[attr.key].history


def _named(obj, key: str, value) -> str | None:
    """A foreign key as a person reads it: the related record's name and its id."""
    if value is None or not key.endswith("_id"):
        return text(value)
    related = getattr(obj, key[:-3], None)
    if related is not None and getattr(related, "id", None) == value:
        return f"{related!r} (#{value})"
    return f"#{value}"


def _document_of(session: Session, obj) -> Document | None:
    if isinstance(obj, Document):
        return obj
    if obj.document is not None:
        return obj.document
    # A line removed from its document's collection no longer points at it.
    return session.get(Document, obj.document_id) if obj.document_id else None


def _rows_for(session: Session, obj, kind: str) -> list[dict]:
    document = _document_of(session, obj)
    if document is None:
        return []
    base = {
        "document_id": document.id,
        "document_number": document.number,
        "line_id": obj.id if isinstance(obj, DocumentLine) else None,
        "_doc": id(document),
    }
    watched_action = _WATCHED[type(obj)]
    rows = []
    if kind == "delete":
        return [{**base, "action": "delete", "note": f"{type(obj).__name__} {obj!r}"}]
    for key, history in _columns(obj):
        if kind == "create":
            value = getattr(obj, key)
            if value is None or value == "":
                continue
            old, new = None, value
        elif history.has_changes():
            old = history.deleted[0] if history.deleted else None
            new = history.added[0] if history.added else None
            if text(old) == text(new):
                continue
        else:
            continue
        if watched_action:
            action = watched_action
        elif key == "state" and kind == "update":
            action = "transition"
        else:
            action = kind
        rows.append(
            {
                **base,
                "action": action,
                "field": key,
                "old_value": _named(obj, key, old),
                "new_value": _named(obj, key, new),
            }
        )
    return rows


TRANSITION_NOTES = "renkei_transition_notes"


def note_transition(session: Session, document: Document, note: str) -> None:
    """Keep ``note`` (a person's reason) on the row of ``document``'s next state change."""
    session.info.setdefault(TRANSITION_NOTES, {})[id(document)] = note


def _write_trail(session: Session, flush_context) -> None:
    rows: list[dict] = []
    # Deletions are written by _write_deletion: orphaned lines never reach session.deleted.
    for kind, objects in (("create", session.new), ("update", session.dirty)):
        for obj in objects:
            if type(obj) in _WATCHED and (kind != "update" or session.is_modified(obj)):
                rows.extend(_rows_for(session, obj, kind))
    rows.extend(_move_rows(session))
    notes = session.info.pop(TRANSITION_NOTES, None) or {}
    for row in rows:
        if row["action"] == "transition" and row.get("_doc") in notes:
            row["note"] = notes[row["_doc"]]
    _insert(session.connection(), rows)


def _move_rows(session: Session) -> list[dict]:
    """A line moved from one document to another: one entry on each of the two."""
    rows = []
    for line, old_id in session.info.pop(LINE_MOVES, None) or []:
        old, new = session.get(Document, old_id), line.document
        if old is None or new is None:
            continue
        change = {
            "line_id": line.id,
            "action": "update",
            "field": "document_id",
            "old_value": f"{old.number} (#{old.id})",
            "new_value": f"{new.number} (#{new.id})",
        }
        for document in (old, new):
            rows.append({**change, "document_id": document.id, "document_number": document.number})
    return rows


def _insert(connection, rows: list[dict]) -> None:
    if not rows:
        return
    actor = current_actor()
    now = utcnow()
    for row in rows:
        row.pop("_doc", None)
        row.setdefault("field", None)
        row.setdefault("old_value", None)
        row.setdefault("new_value", None)
        row.setdefault("note", None)
        row.update(at=now, user_id=actor.id, username=actor.username)
    connection.execute(AuditEntry.__table__.insert(), rows)


def _write_deletion(mapper, connection, target) -> None:
    session = Session.object_session(target)
    _insert(connection, _rows_for(session, target, "delete"))


def record_event(session: Session, document: Document, action: str, note: str) -> None:
    """Add a line to the trail that no column change shows (e.g. a PDF downloaded)."""
    actor = current_actor()
    session.connection().execute(
        AuditEntry.__table__.insert(),
        [
            {
                "at": utcnow(),
                "user_id": actor.id,
                "username": actor.username,
                "document_id": document.id,
                "document_number": document.number,
                "line_id": None,
                "action": action,
                "field": None,
                "old_value": None,
                "new_value": None,
                "note": note,
            }
        ],
    )


def _keep_old_value(target, value, oldvalue, initiator):
    return value


def install() -> None:
    """Write the trail after every ORM flush (idempotent)."""
    if not event.contains(Session, "after_flush", _write_trail):
        event.listen(Session, "after_flush", _write_trail)
    for model in _WATCHED:
        if not event.contains(model, "after_delete", _write_deletion):
            event.listen(model, "after_delete", _write_deletion)
    # Load the old value before a set, even when the attribute was expired by a commit,
    # so the trail has "old" as well as "new".
    for model in _WATCHED:
        for attr in inspect(model).column_attrs:
            column = getattr(model, attr.key)
            if not event.contains(column, "set", _keep_old_value):
                event.listen(column, "set", _keep_old_value, active_history=True, retval=True)
