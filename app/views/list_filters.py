"""What lists add to FAB's search: the active filters as removable chips above the list,
and a search-as-you-type select for relations with many rows (companies).

FAB renders a relation filter as a dropdown of every related row (2,000 companies: every
page carries them all). ``RemoteSelectField`` renders only the rows chosen now; the
browser asks ``data-url`` (a JSON endpoint behind the related screen's read right) as
the person types (static/renkei-remote-select.js, on FAB's select2).
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

from flask import current_app, request, url_for
from markupsafe import Markup
from wtforms import Field

FILTER_ARG = re.compile(r"^_flt_(\d+)_(.+)$")
LOOKUP_LIMIT = 20


def _chosen_ids(column: str) -> list[int]:
    """The ids the request filters ``column`` on (``_flt_<i>_<column>=<id>``)."""
    ids = []
    for key, value in request.args.items(multi=True):
        match = FILTER_ARG.match(key)
        if match and match.group(2) == column and str(value).isdigit():
            ids.append(int(value))
    return ids


def _names(model, ids: list[int]) -> dict[int, str]:
    """id → name of ``model`` rows, in one statement."""
    if not ids:
        return {}
    from app.extensions import db

    rows = db.session.query(model.id, model.name).filter(model.id.in_(ids)).all()
    return {row_id: name for row_id, name in rows}


class RemoteSelectWidget:
    """A select holding only the chosen rows; the script fills it as the person types."""

    def __init__(self, model, endpoint: str):
        self.model = model
        self.endpoint = endpoint

    def __call__(self, field, **kwargs):
        names = _names(self.model, _chosen_ids(field.name))
        options = Markup("").join(
            Markup('<option value="{}">{}</option>').format(pk, name) for pk, name in names.items()
        )
        return Markup(
            '<select class="form-control rk-remote-select" id="{id}" name="{name}" '
            'data-url="{url}" data-placeholder="{placeholder}" style="width:100%">'
            "{options}</select>"
        ).format(
            id=field.id,
            name=field.name,
            url=url_for(self.endpoint),
            placeholder=str(field.label.text),
            options=options,
        )


class RemoteSelectField(Field):
    """A search-form field for a relation, searched as you type (see module docstring)."""

    def __init__(self, label=None, model=None, endpoint="", **kwargs):
        super().__init__(label, widget=RemoteSelectWidget(model, endpoint), **kwargs)
        self.model = model


def lookup(model, text: str, limit: int = LOOKUP_LIMIT) -> list[dict]:
    """Rows of ``model`` whose name or code contains ``text``, for the select's answers."""
    from app.extensions import db

    query = db.session.query(model.id, model.name)
    text = (text or "").strip()
    if text:
        escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%"
        condition = model.name.ilike(pattern, escape="\\")
        if hasattr(model, "code"):
            condition = condition | model.code.ilike(pattern, escape="\\")
        if hasattr(model, "kana"):
            condition = condition | model.kana.ilike(pattern, escape="\\")
        query = query.filter(condition)
    rows = query.order_by(model.name, model.id).limit(limit).all()
    return [{"id": pk, "text": name} for pk, name in rows]


def _view_named(name: str):
    for view in current_app.appbuilder.baseviews:
        if type(view).__name__ == name:
            return view
    return None


def _shown_value(view, column: str, value: str, names: dict) -> str:
    field = (getattr(view, "search_form_extra_fields", None) or {}).get(column)
    kwargs = getattr(field, "kwargs", {}) or {}
    if "choices" in kwargs:
        return str(dict(kwargs["choices"]).get(value, value))
    if column in names and str(value).isdigit():
        return names[column].get(int(value), value)
    return value


def filter_chips(modelview_name: str) -> list[dict]:
    """The list's active filters: label, operator, value in words, and the URL without it."""
    view = _view_named(modelview_name)
    if view is None or not request.args:
        return []
    searchable = view._filters.get_search_filters()
    active = []
    for key, value in request.args.items(multi=True):
        match = FILTER_ARG.match(key)
        if not match or match.group(2) not in searchable or value == "":
            continue
        index, column = int(match.group(1)), match.group(2)
        operators = searchable[column]
        if index >= len(operators):
            continue
        active.append((key, value, column, operators[index]))
    names = {}
    for column in {c for _k, _v, c, _o in active}:
        field = (getattr(view, "search_form_extra_fields", None) or {}).get(column)
        model = (getattr(field, "kwargs", None) or {}).get("model")
        if model is not None:
            names[column] = _names(
                model, [int(v) for _k, v, c, _o in active if c == column and str(v).isdigit()]
            )
    chips = []
    for key, value, column, operator in active:
        rest = [(k, v) for k, v in request.args.items(multi=True) if (k, v) != (key, value)]
        chips.append(
            {
                "label": str(view.label_columns.get(column, column)),
                "operator": str(operator.name),
                "value": _shown_value(view, column, value, names),
                "remove_url": request.path + ("?" + urlencode(rest) if rest else ""),
            }
        )
    return chips


def render_chips(modelview_name: str) -> Markup:
    """The chips' HTML (empty without active filters)."""
    from flask_babel import gettext as _

    chips = filter_chips(modelview_name)
    if not chips:
        return Markup("")
    items = Markup("").join(
        Markup(
            '<span class="renkei-chip" data-label="{label}">{label} '
            '<span class="renkei-chip-op">{op}</span> <strong>{value}</strong>'
            '<a class="renkei-chip-remove" href="{url}" aria-label="{remove}"'
            ' title="{remove}">×</a>'
            "</span>"
        ).format(
            label=chip["label"],
            op=chip["operator"],
            value=chip["value"],
            url=chip["remove_url"],
            remove=_("Remove filter: %(name)s", name=chip["label"]),
        )
        for chip in chips
    )
    clear = Markup('<a class="renkei-chips-clear btn btn-link btn-xs" href="{}">{}</a>').format(
        request.path, _("Clear all filters")
    )
    return (
        Markup(
            '<div class="renkei-chips" id="filter-chips"><span class="renkei-chips-title">{}</span>'
        ).format(_("Filtered by:"))
        + items
        + clear
        + Markup("</div>")
    )


def install_list_filters(app) -> None:
    """Make the chips available to list templates."""
    app.jinja_env.globals["renkei_filter_chips"] = render_chips
