"""A company's custom fields: provider fields Renkei lacks, added on the customer-sync
mapping page (``custom:<name> = <their field>``), at most 10 in all.

The fields that exist are the ``custom:`` rows of every connection's mapping; their
values live in ``Company.custom_fields`` (JSON {"name": "value"}). The company form and
page show and edit them through here: each value is checked (text on one line, at most
``MAX_LENGTH`` characters) and every change is a line in the audit trail (action
``update``, field ``custom:<name>``, old and new value, the company in the note).
Contacts have none: the mapping maps company fields (a partner, its department).
"""

from __future__ import annotations

import json
import re

import sqlalchemy as sa
from flask_babel import gettext as _

from app.extensions import db
from app.models.audit import AuditEntry
from app.models.crm import Company, utcnow
from app.models.customer_sync import MAX_CUSTOM_FIELDS, CustomerSyncSetting
from app.services.errors import InvalidInput

PREFIX = "custom:"
MAX_LENGTH = 200
NAME = re.compile(r"^[^\s:=<>\"'&]{1,40}$")  # a word of up to 40 characters, any script
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def check_name(name: str) -> str:
    """A custom field's name as written on the mapping page, or InvalidInput in words."""
    name = (name or "").strip()
    if not NAME.match(name):
        raise InvalidInput(
            _(
                "%(name)s cannot name a custom field: one word of at most 40 characters, "
                "without spaces, quotes or : = < > &.",
                name=name or '""',
            )
        )
    return name


def names_in(rows: list[dict]) -> list[str]:
    """The custom fields a mapping's rows name, in their order, each once."""
    names = []
    for row in rows:
        ours = row.get("ours") or ""
        if ours.startswith(PREFIX) and ours[len(PREFIX) :] not in names:
            names.append(ours[len(PREFIX) :])
    return names


def defined(exclude_setting_id: int | None = None) -> list[str]:
    """Every custom field a connection's mapping defines, sorted by name."""
    names: set[str] = set()
    for setting in db.session.query(CustomerSyncSetting).filter(
        CustomerSyncSetting.field_map.isnot(None)
    ):
        if setting.id != exclude_setting_id:
            names.update(names_in(json.loads(setting.field_map or "[]")))
    return sorted(names)


def check_mapping(setting, rows: list[dict]) -> None:
    """Refuse a mapping whose custom fields are badly named or would make more than 10
    in all (with the other connections' ones)."""
    own = [check_name(name) for name in names_in(rows)]
    together = set(defined(exclude_setting_id=setting.id)) | set(own)
    if len(together) > MAX_CUSTOM_FIELDS:
        raise InvalidInput(
            _(
                "At most %(n)d custom fields in all: with this mapping there would be "
                "%(count)d (%(names)s).",
                n=MAX_CUSTOM_FIELDS,
                count=len(together),
                names=", ".join(sorted(together)),
            )
        )


def sql_value(column, name: str, dialect: str):
    """SQL reading custom field ``name`` out of the JSON text ``column`` (for the CSV):
    PostgreSQL ``CAST(… AS JSON) ->> name``, SQLite ``JSON_EXTRACT(…, '$."name"')``."""
    text = sa.func.nullif(column, "")
    if dialect == "postgresql":
        return sa.cast(text, sa.JSON)[name].as_string()
    # the path written here: SQLAlchemy's would escape a non-ASCII key (\uXXXX), which
    # SQLite's JSON paths do not read back (names hold no quotes: NAME)
    return sa.func.json_extract(text, f'$."{name}"', type_=sa.String())


def csv_columns(column, dialect: str) -> list[tuple[str, object]]:
    """(header, SQL) of every defined custom field, headed by its name (its label)."""
    return [(name, sql_value(column, name, dialect)) for name in defined()]


# The REST API's ``custom_fields``: an object keyed by field key, each value text (one
# line, at most MAX_LENGTH characters) or null to clear it.
API_SCHEMA = {
    "type": "object",
    "description": "Custom fields keyed by their key (added on a customer-sync mapping "
    "page): text on one line, null when empty. Unknown keys are refused.",
    "additionalProperties": {"type": "string", "nullable": True, "maxLength": MAX_LENGTH},
}


def api_values(raw) -> tuple[dict, dict]:
    """``custom_fields`` as the REST API received it: (values to set, errors by field),
    each error in words naming the field; unknown keys refused."""
    if not isinstance(raw, dict):
        return {}, {"_schema": [_("custom_fields must be an object keyed by field key.")]}
    names = set(defined())
    values, errors = {}, {}
    for name, value in raw.items():
        if name not in names:
            errors[str(name)] = [_("No such custom field: %(names)s.", names=name)]
        elif value is not None and not isinstance(value, str):
            errors[name] = [_("%(name)s: text, or null to clear it.", name=name)]
        else:
            try:
                values[name] = check_value(name, value)
            except InvalidInput as exc:
                errors[name] = [str(exc)]
    return values, errors


def api_read_text(stored: str | None, names: list[str]) -> dict:
    """The API's ``custom_fields`` of a company whose JSON text is ``stored``."""
    values = json.loads(stored or "{}")
    return {name: values.get(name) for name in names}


def api_read(company) -> dict:
    """Every defined custom field of ``company`` (null when empty), keyed by its key."""
    return api_read_text(company.custom_fields if company is not None else None, defined())


def values_of(company) -> dict[str, str]:
    """The company's custom values (names no mapping defines any more included)."""
    return json.loads(company.custom_fields or "{}") if company is not None else {}


def shown(company) -> list[tuple[str, str]]:
    """(name, value) of every defined field, then any value kept for a field no longer
    mapped — what the company's page lists."""
    values = values_of(company)
    names = defined()
    return [(name, values.get(name) or "") for name in names] + [
        (name, value) for name, value in sorted(values.items()) if name not in names
    ]


def check_value(name: str, value) -> str | None:
    """A value as stored (trimmed; empty: None), or InvalidInput in words."""
    text = "" if value is None else str(value).strip()
    if CONTROL.search(text):
        raise InvalidInput(_("%(name)s: one line of text, please.", name=name))
    if len(text) > MAX_LENGTH:
        raise InvalidInput(_("%(name)s: at most %(n)d characters.", name=name, n=MAX_LENGTH))
    return text or None


def set_values(company, values: dict, user) -> list[str]:
    """Write the custom ``values`` given (other fields keep theirs) and audit each
    change; the caller commits. Returns the names that changed."""
    names = set(defined())
    unknown = sorted(set(values) - names)
    if unknown:
        raise InvalidInput(_("No such custom field: %(names)s.", names=", ".join(unknown)))
    stored = values_of(company)
    if company.id is not None:
        # Lock the row and read what is committed now: two saves of the same value at
        # once make one change (and one audit line), the second sees the first's.
        committed = db.session.execute(
            sa.select(Company.custom_fields).where(Company.id == company.id).with_for_update()
        ).scalar()
        stored = json.loads(committed or "{}")
    changed = []
    for name, value in values.items():
        new = check_value(name, value)
        old = stored.get(name)
        if new == old:
            continue
        if new is None:
            stored.pop(name, None)
        else:
            stored[name] = new
        changed.append(name)
        db.session.add(
            AuditEntry(
                at=utcnow(),
                user_id=getattr(user, "id", None),
                username=getattr(user, "username", None) or "system",
                action="update",
                field=f"{PREFIX}{name}"[:50],
                old_value=old,
                new_value=new,
                note=f"company {company.code}",
            )
        )
    if changed:
        company.custom_fields = json.dumps(stored, ensure_ascii=False, sort_keys=True) or None
    return changed
