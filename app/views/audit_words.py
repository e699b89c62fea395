"""The audit trail as people read it: one entry per change, values in words.

The trail stores one row per changed field (``services/documents/audit.py``). A change
— saving a document, a payment, an approval, a state move — writes its rows in one
flush, under one time and one person. The document page shows each such group as one
entry: who, when, a line saying what moved from what to what, and the fields behind it
when opened. The per-field trail stays whole on its own page and in the CSV.
"""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _

from app.extensions import db
from app.models.audit import AuditEntry
from app.models.documents import Document
from app.services.documents import approvals
from app.views.document_labels import AUDIT_ACTION_LABELS, field_label, value_label
from app.views.money import local_time

# The views' filter index of "equal to" on a text column (FAB's conversion table).
_EQUAL = 3


def entry_value(entry: AuditEntry, value: str | None, currency: str | None) -> str:
    """One stored value of ``entry`` in the reader's words."""
    if entry.action == "approval" and entry.field == "reasons" and value:
        return " / ".join(approvals.reasons_in_words(value))
    return str(value_label(entry.field, value, currency, entry.action))


def _change(entry: AuditEntry, currency: str) -> dict:
    return {
        "action": AUDIT_ACTION_LABELS.get(entry.action, entry.action),
        "field": field_label(entry.field),
        "old": entry_value(entry, entry.old_value, currency),
        "new": entry_value(entry, entry.new_value, currency),
        "line": entry.line_id,
        "note": entry.note or "",
    }


# Bookkeeping that follows a change (the issuer's copy frozen on leaving draft, the
# approved content's hash): in the entry's fields, not in its one-line summary.
_NOT_IN_HEADLINE = frozenset({"tax_rounding", "issuer_snapshot", "fingerprint"})


def _short(text, limit: int = 40) -> str:
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _moved(label, old, new) -> str:
    return f"{label}: {_short(old)} → {_short(new)}" if old else f"{label}: {_short(new)}"


def _headline(entries: list[AuditEntry], currency: str) -> list[str]:
    """What one change did, in a few short phrases."""
    parts: list[str] = []
    by_action: dict[str, list[AuditEntry]] = {}
    for entry in entries:
        by_action.setdefault(entry.action, []).append(entry)

    def value(entry, which):
        return entry_value(entry, getattr(entry, which), currency)

    for action, rows in by_action.items():
        fields = {row.field: row for row in rows}
        if action == "create":
            header = [r for r in rows if r.line_id is None]
            lines = {r.line_id for r in rows if r.line_id is not None}
            if header:
                total = fields.get("total")
                parts.append(
                    _(
                        "Created · lines: %(lines)d · total %(total)s",
                        lines=len(lines),
                        total=value(total, "new_value"),
                    )
                    if total is not None
                    else _("Created")
                )
            else:
                names = [value(r, "new_value") for r in rows if r.field == "name"]
                parts.append(_("Line added: %(names)s", names=", ".join(names)))
        elif action == "transition":
            for row in rows:
                parts.append(
                    _moved(field_label(row.field), value(row, "old_value"), value(row, "new_value"))
                )
        elif action == "payment":
            amount, method = fields.get("amount"), fields.get("method")
            parts.append(
                _("Payment of %(amount)s", amount=value(amount, "new_value"))
                + (f" ({value(method, 'new_value')})" if method is not None else "")
                if amount is not None
                else str(AUDIT_ACTION_LABELS["payment"])
            )
        elif action == "approval":
            decision = fields.get("decision")
            parts.append(
                _moved(AUDIT_ACTION_LABELS["approval"], "", value(decision, "new_value"))
                if decision is not None and decision.new_value
                else _("Approval requested")
            )
        elif action == "send":
            state, recipient = fields.get("state"), fields.get("recipient")
            words = [str(AUDIT_ACTION_LABELS["send"])]
            if recipient is not None and recipient.new_value:
                words.append(recipient.new_value)
            if state is not None:
                words.append(value(state, "new_value"))
            parts.append(" · ".join(words))
        elif action == "update":
            changed = [r for r in rows if r.field and r.field not in _NOT_IN_HEADLINE]
            if not changed:
                continue
            shown = [
                _moved(field_label(r.field), value(r, "old_value"), value(r, "new_value"))
                for r in changed[:3]
            ]
            if len(changed) > 3:
                shown.append(_("and %(n)d more", n=len(changed) - 3))
            parts.append(_("Changed: %(what)s", what="; ".join(shown)))
        else:
            label = str(AUDIT_ACTION_LABELS.get(action, action))
            notes = [r.note for r in rows if r.note and not r.note.startswith("<")]
            parts.append(f"{label}: {notes[0]}" if notes and action != "delete" else label)
    return parts or [str(AUDIT_ACTION_LABELS.get(entries[0].action, entries[0].action))]


def group_trail(entries: list[AuditEntry], currency: str) -> list[dict]:
    """Entries (oldest first) grouped by change: same time, same person."""
    groups: list[list[AuditEntry]] = []
    for entry in entries:
        last = groups[-1][0] if groups else None
        if last is not None and (last.at, last.user_id, last.username) == (
            entry.at,
            entry.user_id,
            entry.username,
        ):
            groups[-1].append(entry)
        else:
            groups.append([entry])
    return [
        {
            "at": local_time(group[0].at),
            "user": group[0].username or "",
            "headline": _headline(group, currency),
            "notes": sorted({e.note for e in group if e.note and e.action == "transition"}),
            "changes": [_change(e, currency) for e in group],
        }
        for group in groups
    ]


def trail_of(document: Document) -> dict:
    """The document page's trail: its changes, newest first, and the full trail's link."""
    entries = (
        db.session.query(AuditEntry)
        .filter(AuditEntry.document_id == document.id)
        .order_by(AuditEntry.at, AuditEntry.id)
        .all()
    )
    changes = group_trail(entries, document.currency)
    changes.reverse()
    return {
        "changes": changes,
        "rows": len(entries),
        "full_url": url_for("AuditTrailView.list")
        + f"?_flt_{_EQUAL}_document_number={document.number}"
        if document.number
        else url_for("AuditTrailView.list"),
    }
