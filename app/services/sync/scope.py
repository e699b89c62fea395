"""Which records take part in a customer sync: a saved filter of Renkei's own lists.

The filter is what the company, contact or product list's search form puts in its URL
(``_flt_<operation>_<column>=<value>``, Flask-AppBuilder's filter arguments), saved as
JSON on the connection's setting — like a CRM view. The same columns can be searched as
on the lists (kept in step by tests/sync/test_customer_scope.py).
"""

from __future__ import annotations

import json
import re

from flask_appbuilder.models.sqla.interface import SQLAInterface

from app.extensions import db
from app.models.crm import Company, Contact, Product

SEARCH_COLUMNS = {
    Company: ["code", "name", "kana", "prefecture", "invoice_registration_number", "created_at"],
    Contact: ["name", "kana", "company", "department", "email"],
    Product: ["code", "name", "tax_rate", "unit_price", "currency"],
}
_ARG = re.compile(r"^_flt_(\d+)_(.+)$")


def parse_filter(text: str | None) -> dict[str, list[str]]:
    """Saved filter JSON (or a list URL's query string) as {argument: [values]}."""
    if not text:
        return {}
    text = text.strip()
    if text.startswith("{"):
        raw = json.loads(text)
        return {k: v if isinstance(v, list) else [v] for k, v in raw.items()}
    from urllib.parse import parse_qs

    return parse_qs(text.split("?", 1)[-1])


def scoped(model, saved: str | None):
    """A query of ``model`` narrowed by the saved filter (every record without one)."""
    interface = SQLAInterface(model, db.session)
    filters = interface.get_filters(SEARCH_COLUMNS[model])
    for arg, values in parse_filter(saved).items():
        match = _ARG.match(arg)
        if not match or match[2] not in filters.get_search_filters():
            continue
        index = int(match[1])
        if index < len(filters.get_search_filters()[match[2]]):
            filters.add_filter_index(match[2], index, values[0] if len(values) == 1 else values)
    return interface.apply_filters(db.session.query(model), filters)
