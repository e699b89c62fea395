"""One registry of document kinds (app.models.document_kinds) names every kind: the
screens, REST API, permissions, menus, numbers and labels all come from it (issue #12)."""

from __future__ import annotations

import ast
from pathlib import Path

from flask import url_for

from app.models.document_kinds import DOCUMENT_KINDS, KINDS
from app.security.permissions import DOCUMENT_TYPES, FUTURE_PERMISSIONS, MENUS
from app.services.documents import actions, issuing, lifecycle, sending

APP = Path(__file__).resolve().parents[2] / "app"
# Where the hand-kept copies used to live.
SCANNED = ("models", "services/documents", "services/profiles.py", "security", "views", "api")
# Names only a kind's registry entry may spell out.
KIND_NAMES = {
    "DeliveryNote",
    "CreditNote",
    "Delivery note",
    "Delivery notes",
    "Credit note",
    "Credit notes",
    "/deliverynotes",
    "/creditnotes",
    "/deliverynotelines",
    "/creditnotelines",
    "QT",
    "DN",
    "CN",
    "QT-",
    "DN-",
    "CN-",
    "fa-truck",
    "納品書",
    "適格返還請求書",
}


def _files():
    for part in SCANNED:
        path = APP / part
        yield from ([path] if path.suffix == ".py" else sorted(path.rglob("*.py")))


def test_no_module_but_the_registry_spells_out_a_kind():
    copies = []
    for path in _files():
        if path.name == "document_kinds.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and node.value in KIND_NAMES:
                copies.append(f"{path.relative_to(APP)}:{node.lineno} {node.value!r}")
    assert copies == []


def test_the_registry_drives_screens_api_and_permissions(app):
    assert DOCUMENT_KINDS == ("quote", "invoice", "delivery_note", "credit_note")
    assert DOCUMENT_TYPES == ("Quote", "Invoice", "DeliveryNote", "CreditNote")
    routes = {rule.rule for rule in app.url_map.iter_rules()}
    with app.test_request_context():
        for code, kind in KINDS.items():
            assert url_for(f"{kind.view_name}.list") == f"{kind.route}/list/"
            assert url_for(f"{kind.line_view_name}.list") == f"{kind.line_route}/list/"
            assert f"/api/v1/{kind.api_name}/" in routes
            assert f"/api/v1/{kind.line_api_name}/" in routes
            assert (f"/api/v1/{kind.api_name}/<int:pk>/payment" in routes) == kind.payments
            assert MENUS[kind.resource] == ("Documents", kind.menu)
            assert ("send_email", kind.resource) in FUTURE_PERMISSIONS
            assert actions.RESOURCE[code] == kind.resource
            assert str(lifecycle.KIND_LABELS[code]) == str(kind.label)
            assert sending.TITLES["ja"][code] == kind.titles["ja"]
            assert ("paid" in lifecycle.allowed_from(code, "sent")) == kind.payments
    assert [KINDS[k].number(42) for k in DOCUMENT_KINDS] == [
        "QT-000042",
        "INV-000042",
        "DN-000042",
        "CN-000042",
    ]


def test_a_new_document_is_numbered_with_its_kinds_prefix(db_session, sample, entity):
    for code in ("quote", "invoice", "delivery_note"):
        document = issuing.new_document(code, sample["sakura"], legal_entity=entity)
        assert document.number.startswith(KINDS[code].number_prefix)
        assert document.number[len(KINDS[code].number_prefix) :].isdigit()
        assert (document.due_date is not None) == KINDS[code].due_date
