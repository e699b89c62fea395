"""The base of every Renkei REST API: bad input is refused with a 4xx before FAB reads it.

FAB's ``@safe`` turns any exception into a 500. Input that reaches the database or the
rison parser in a shape they cannot take ends there: ids beyond 64 bits (SQLite raises
OverflowError), ``?q=((((`` (prison recurses until RecursionError; ``(page:`` is a
TypeError), filter values that are not of the column's type (PostgreSQL refuses
``numeric > 'abc'``), a page beyond any offset, a JSON body that is a list. A guard
run before each request of these APIs answers them with a 400 (404 for an id that
cannot exist) and a sentence.
"""

from __future__ import annotations

import json
import threading

import prison
from flask import request
from flask_appbuilder.api import BaseApi, ModelRestApi
from flask_babel import gettext as _

from app.views.list_arguments import MAX_PAGE, column_value_error, integer_error

MAX_PAGE_SIZE = 10_000


def _rison(value: str):
    """The ``q`` argument as FAB reads it (rison, else JSON); raises ValueError when neither."""
    try:
        return prison.loads(value)
    except RecursionError:  # "((((": prison recurses on unbalanced parentheses
        raise ValueError("Not a valid rison argument: unbalanced parentheses.") from None
    except Exception:  # prison fails on broken text with any error: TypeError, …
        pass
    try:
        return json.loads(value)
    except ValueError:
        raise ValueError("Not a valid rison/json argument.") from None


def _one_load_at_a_time(schema) -> None:
    """Serialize ``schema.load``: marshmallow-sqlalchemy keeps the instance being loaded on
    the schema object, which FAB shares between all requests of an API, so two loads at
    once on a threaded server would swap their records (or fail with a 500)."""
    lock = threading.Lock()
    load = schema.load

    def load_alone(*args, **kwargs):
        with lock:
            return load(*args, **kwargs)

    schema.load = load_alone


def json_body() -> dict:
    """The request's JSON object, or {} (VerbApi has already refused a body that is
    not an object)."""
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


class VerbApi(BaseApi):
    """A hand-written API of verbs (not a model's CRUD): an id no database holds is 404
    and a POSTed body that is not a JSON object is 400, before the verb runs."""

    allow_browser_login = True
    #: the URL arguments that are record ids
    id_args: tuple[str, ...] = ("pk",)

    def create_blueprint(self, appbuilder, *args, **kwargs):
        blueprint = super().create_blueprint(appbuilder, *args, **kwargs)
        blueprint.before_request(self._refuse_bad_input)
        return blueprint

    def _refuse_bad_input(self):
        for name in self.id_args:
            value = (request.view_args or {}).get(name)
            if value is not None and integer_error(value):
                return self.response_404()
        if request.method == "POST" and (request.is_json or request.data):
            if not isinstance(request.get_json(silent=True, force=True), dict):
                return self.response_400(message=_("The body must be a JSON object."))
        return None


class RenkeiApi(ModelRestApi):
    """A ModelRestApi whose requests are checked for malformed ids, ``q`` and bodies first."""

    def create_blueprint(self, appbuilder, *args, **kwargs):
        blueprint = super().create_blueprint(appbuilder, *args, **kwargs)
        # FAB makes the model schemas in create_blueprint
        for schema in {id(s): s for s in (self.add_model_schema, self.edit_model_schema)}.values():
            if schema is not None:
                _one_load_at_a_time(schema)
        blueprint.before_request(self._refuse_bad_input)
        return blueprint

    def _refuse_bad_input(self):
        pk = (request.view_args or {}).get("pk")
        if pk is not None and integer_error(pk):
            return self.response_404()
        if "q" in request.args:
            try:
                problem = self._list_arguments_error(_rison(request.args["q"]))
            except ValueError as exc:
                problem = str(exc)
            if problem:
                return self.response_400(message=problem)
        function = request.endpoint.rsplit(".", 1)[-1] if request.endpoint else ""
        if function in ("post", "put") and request.is_json:
            if not isinstance(request.get_json(silent=True), dict):
                return self.response_400(message="The body must be a JSON object.")
        return None

    def _list_arguments_error(self, arguments) -> str | None:
        """Why the parsed ``q`` cannot be used (None when it can)."""
        if not isinstance(arguments, dict):
            return "q must be an object, e.g. (page:0,page_size:20)."
        for name, limit in (("page", MAX_PAGE), ("page_size", MAX_PAGE_SIZE)):
            if name in arguments:
                value = arguments[name]
                if integer_error(value) or not 0 <= value <= limit:
                    return f"{name} is a whole number from 0 to {limit}."
        filters = arguments.get("filters", [])
        if not isinstance(filters, list):
            return "filters is a list of (col,opr,value)."
        searchable = set(self.search_columns or [])
        for item in filters:
            if not isinstance(item, dict):
                return "Each filter is (col:…,opr:…,value:…)."
            column = item.get("col")
            if column in searchable and "value" in item:
                error = column_value_error(self.datamodel, column, item["value"])
                if error:
                    return f"Filter on {column}: {error}."
        return None
