"""REST API for several legal entities and currencies (issue 17, B8).

- ``/api/v1/exchange_rate/``: finance staff's rates per currency pair and date (resource
  ExchangeRate: read; write for creating, editing and deleting, as on the screen).
- ``/api/v1/legal_entity/``: the issuers, read only (name, prefix, base currency,
  rounding): what a client needs to pick a document's or a connection's entity.

Bad input answers 4xx in words (the rules in app/services/exchange_rates.py).
"""

from __future__ import annotations

from marshmallow.validate import Length

from app.api.crm import CURRENCY
from app.api.documents import RuleAwareApi
from app.models.documents import LegalEntity
from app.models.exchange_rates import ExchangeRate
from app.services.actor import request_user
from app.views.document_data import interface

RATE_API_VERBS = {
    "get": "read",
    "get_list": "read",
    "info": "read",
    "post": "write",
    "put": "write",
    "delete": "write",
}


class ExchangeRateApi(RuleAwareApi):
    """Rates: 1 unit of from_currency = rate units of to_currency, from valid_on."""

    class_permission_name = "ExchangeRate"
    resource_name = "exchange_rate"
    method_permission_name = RATE_API_VERBS
    datamodel = interface(ExchangeRate)
    _columns = ["from_currency", "to_currency", "valid_on", "rate"]
    list_columns = show_columns = ["id", *_columns, "entered_by.id", "created_at"]
    add_columns = edit_columns = _columns
    search_columns = ["from_currency", "to_currency", "valid_on"]
    order_columns = ["valid_on", "from_currency", "to_currency"]
    validators_columns = {"from_currency": CURRENCY, "to_currency": CURRENCY}

    def pre_add(self, item):
        """Who entered the rate."""
        item.entered_by_id = getattr(request_user(), "id", None)

    pre_update = pre_add


class LegalEntityApi(RuleAwareApi):
    """The issuing legal entities (read only here; edited on the Settings screen)."""

    class_permission_name = "LegalEntity"
    resource_name = "legal_entity"
    method_permission_name = {"get": "read", "get_list": "read", "info": "read"}
    include_route_methods = {"get", "get_list", "info"}
    datamodel = interface(LegalEntity)
    list_columns = show_columns = [
        "id",
        "name",
        "name_en",
        "number_prefix",
        "registration_number",
        "base_currency",
        "tax_rounding",
    ]
    search_columns = ["name", "number_prefix", "base_currency"]
    order_columns = ["name", "number_prefix"]
    validators_columns = {"name": Length(max=200)}


ENTITY_APIS = [ExchangeRateApi, LegalEntityApi]
