"""The permission matrix: every profile × every protected operation, on screens and API.

Generated from one table (app.security.permissions.PROFILES): a permission that some
screen or API declares but no operation below exercises fails the coverage test.
"""

import pytest

from app.security.permissions import DOCUMENT_TYPES, PROFILES, SELF_SERVICE, menu_permissions
from tests.conftest import csrf_token, login

# A form every signed-in person may open, to take a CSRF token from.
CSRF_PAGE = "/resetmypassword/form"

RESOURCES = (
    "Deal",
    "Company",
    "Contact",
    "Product",
    "DealType",
    "Connection",
    "Profile",
    "SyncHistory",
    "CustomerSync",
    "Mismatch",
    *DOCUMENT_TYPES,
    "ApprovalQueue",
    "ReceivablesSummary",
    "AuditTrail",
    "ApprovalRule",
    "AutomationRule",
    "LegalEntity",
    "ExchangeRate",
    "DocumentTemplate",
    "Outbox",
    "Reminder",
    "ReminderRule",
    "Milestone",
    "TimeEntry",
    "SalesOrder",
    "BillingSetting",
    "Subscription",
)
# Document kinds: (resource, screen route, API resource name).
DOCUMENT_ROUTES = [
    ("Quote", "/quotes", "quote"),
    ("Invoice", "/invoices", "invoice"),
    ("DeliveryNote", "/deliverynotes", "delivery_note"),
    ("CreditNote", "/creditnotes", "credit_note"),
]
# (permission, resource) → how a person reaches it on a screen, and through the API.
# Screen: (method, url); API: (method, url, json). "{pk}" is a record that exists.
OPERATIONS = {
    ("can_read", "Deal"): (("GET", "/dealview/list/"), ("GET", "/api/v1/deal/", None)),
    ("can_write", "Deal"): (("GET", "/dealview/add"), ("POST", "/api/v1/deal/", {})),
    ("can_delete", "Deal"): (
        ("POST", "/dealview/delete/{deal}"),
        ("DELETE", "/api/v1/deal/{deal}", None),
    ),
    ("can_read", "Company"): (("GET", "/companyview/list/"), ("GET", "/api/v1/company/", None)),
    ("can_write", "Company"): (("GET", "/companyview/add"), ("POST", "/api/v1/company/", {})),
    ("can_delete", "Company"): (
        ("POST", "/companyview/delete/{acme}"),
        ("DELETE", "/api/v1/company/{acme}", None),
    ),
    ("can_read", "Contact"): (("GET", "/contactview/list/"), ("GET", "/api/v1/contact/", None)),
    ("can_write", "Contact"): (("GET", "/contactview/add"), ("POST", "/api/v1/contact/", {})),
    ("can_delete", "Contact"): (
        ("POST", "/contactview/delete/{hanako}"),
        ("DELETE", "/api/v1/contact/{hanako}", None),
    ),
    ("can_read", "Product"): (("GET", "/productview/list/"), ("GET", "/api/v1/product/", None)),
    ("can_write", "Product"): (("GET", "/productview/add"), ("POST", "/api/v1/product/", {})),
    ("can_delete", "Product"): (
        ("POST", "/productview/delete/{lunch_unused}"),
        ("DELETE", "/api/v1/product/{lunch_unused}", None),
    ),
    ("can_read", "DealType"): (("GET", "/dealtypeview/list/"), ("GET", "/api/v1/deal_type/", None)),
    ("can_write", "DealType"): (("GET", "/dealtypeview/add"), ("POST", "/api/v1/deal_type/", {})),
    ("can_delete", "DealType"): (
        ("POST", "/dealtypeview/delete/{spare_type}"),
        ("DELETE", "/api/v1/deal_type/{spare_type}", None),
    ),
    ("can_manage", "Connection"): (("GET", "/connections/list/"), None),
    ("can_manage", "Profile"): (("GET", "/profiles/"), None),
    # The deal page's "Create invoice" (route on Deal/read, refused without this); no
    # connection 0 exists, so a permitted person is sent back to the list.
    ("can_create_at_provider", "ProviderDocument"): (
        ("POST", "/dealview/create_invoice/{deal}/0"),
        None,
    ),
    # "Refresh status" on the deal page (route on Deal/read, refused without this); no
    # deal 0 exists, so a permitted person is sent back to the list and nothing is queued.
    ("can_refresh_statuses", "ProviderDocument"): (("POST", "/dealview/refresh/0"), None),
    ("can_read", "SyncHistory"): (("GET", "/sync/history/list/"), None),
    ("can_retry", "SyncHistory"): (("POST", "/sync/history/retry/0"), None),
    # Customer sync (no connection 0: a permitted person gets 404, others 403).
    ("can_read", "CustomerSync"): (("GET", "/customersync/"), None),
    ("can_write", "CustomerSync"): (("POST", "/customersync/0/pause"), None),
    ("can_run", "CustomerSync"): (("POST", "/customersync/0/run"), None),
    # The mismatch report; no mismatch 0 exists: a permitted person gets 404, others 403.
    ("can_read", "Mismatch"): (("GET", "/mismatches/list/"), None),
    ("can_act", "Mismatch"): (("POST", "/mismatches/ignore/0"), None),
    # Documents: a kind's list and API, its add form and API create, and "send" (no
    # document 0 exists: a permitted person gets 404, others 403).
    **{
        key: value
        for resource, route, api in DOCUMENT_ROUTES
        for key, value in {
            ("can_read", resource): (("GET", f"{route}/list/"), ("GET", f"/api/v1/{api}/", None)),
            ("can_write", resource): (("GET", f"{route}/add"), ("POST", f"/api/v1/{api}/", {})),
            ("can_send_email", resource): (("POST", f"{route}/send/0"), None),
        }.items()
    },
    ("can_read", "ApprovalQueue"): (("GET", "/approvals/list/"), None),
    ("can_read", "ReceivablesSummary"): (("GET", "/receivables/"), None),
    ("can_read", "Outbox"): (("GET", "/outbox/list/"), None),
    ("can_read", "AuditTrail"): (
        ("GET", "/audittrail/list/"),
        ("GET", "/api/v1/audit_trail/", None),
    ),
    ("can_read", "ApprovalRule"): (("GET", "/approvalrules/list/"), None),
    ("can_write", "ApprovalRule"): (("GET", "/approvalrules/add"), None),
    ("can_read", "AutomationRule"): (("GET", "/automationrules/list/"), None),
    ("can_write", "AutomationRule"): (("GET", "/automationrules/add"), None),
    ("can_read", "LegalEntity"): (
        ("GET", "/legalentities/list/"),
        ("GET", "/api/v1/legal_entity/", None),
    ),
    ("can_write", "LegalEntity"): (("GET", "/legalentities/add"), None),
    # Exchange rates (finance and administrators; 0020_entities).
    ("can_read", "ExchangeRate"): (
        ("GET", "/exchangerates/list/"),
        ("GET", "/api/v1/exchange_rate/", None),
    ),
    ("can_write", "ExchangeRate"): (
        ("GET", "/exchangerates/add"),
        ("POST", "/api/v1/exchange_rate/", {}),
    ),
    ("can_read", "DocumentTemplate"): (("GET", "/templates/list/"), None),
    ("can_write", "DocumentTemplate"): (("GET", "/templates/add"), None),
    ("can_approve", "DocumentTemplate"): (("POST", "/templates/approve/0"), None),
    # Payment reminders: the preview and the follow-up list; pause, note and send
    # (no company 0: a permitted person gets 404 or 422, others 403).
    ("can_read", "Reminder"): (("GET", "/reminders/"), ("GET", "/api/v1/reminder/preview", None)),
    ("can_send", "Reminder"): (("POST", "/reminders/send"), None),
    ("can_pause", "Reminder"): (
        ("POST", "/followups/0/pause"),
        ("POST", "/api/v1/reminder/company/0/pause", {}),
    ),
    ("can_note", "Reminder"): (
        ("POST", "/followups/0/note"),
        ("POST", "/api/v1/reminder/company/0/note", {"note": "x"}),
    ),
    ("can_read", "ReminderRule"): (
        ("GET", "/reminderrules/list/"),
        ("GET", "/api/v1/reminder_rule/", None),
    ),
    ("can_write", "ReminderRule"): (
        ("GET", "/reminderrules/add"),
        ("POST", "/api/v1/reminder_rule/", {}),
    ),
    # Billing (issue 17): milestone contracts and time entries. No milestone, time entry
    # or deal 0 exists: a permitted person gets 404 or 422, others 403.
    ("can_read", "Milestone"): (
        ("GET", "/milestones/list/"),
        ("GET", "/api/v1/milestone/deal/{deal}", None),
    ),
    ("can_write", "Milestone"): (
        ("GET", "/milestones/new/{deal}"),
        ("POST", "/api/v1/milestone/deal/0", {"parts": []}),
    ),
    ("can_mark_done", "Milestone"): (
        ("POST", "/milestones/done/0"),
        ("POST", "/api/v1/milestone/0/done", None),
    ),
    ("can_approve", "Milestone"): (
        ("POST", "/milestones/approve/0"),
        ("POST", "/api/v1/milestone/0/approve", None),
    ),
    ("can_invoice", "Milestone"): (
        ("POST", "/milestones/invoice/0"),
        ("POST", "/api/v1/milestone/0/invoice", None),
    ),
    ("can_read", "TimeEntry"): (
        ("GET", "/timeentries/list/"),
        ("GET", "/api/v1/time_entry/", None),
    ),
    ("can_write", "TimeEntry"): (
        ("POST", "/timeentries/add"),
        ("POST", "/api/v1/time_entry/", {}),
    ),
    ("can_approve", "TimeEntry"): (
        ("POST", "/timeentries/approve/0"),
        ("POST", "/api/v1/time_entry/0/approve", None),
    ),
    ("can_invoice", "TimeEntry"): (
        ("POST", "/timeentries/invoice"),
        ("POST", "/api/v1/time_entry/invoice", {}),
    ),
    # Wholesale (no order or company 0: a permitted person gets 404 or 422, others 403).
    ("can_read", "SalesOrder"): (
        ("GET", "/salesorders/list/"),
        ("GET", "/api/v1/sales_order/", None),
    ),
    ("can_write", "SalesOrder"): (
        ("GET", "/salesorders/add"),
        ("POST", "/api/v1/sales_order/", {}),
    ),
    ("can_ship", "SalesOrder"): (
        ("POST", "/salesorders/page/0/ship"),
        ("POST", "/api/v1/sales_order/0/shipment", {"lines": []}),
    ),
    ("can_bill", "SalesOrder"): (
        ("POST", "/closings/0/close"),
        ("POST", "/api/v1/closing/0", {"closing_date": "2026-01-31"}),
    ),
    ("can_read", "BillingSetting"): (("GET", "/billingsettings/list/"), None),
    ("can_write", "BillingSetting"): (("GET", "/billingsettings/add"), None),
    # Subscriptions (Billing): lists and the run's preview read; add, change, cancel and
    # usage write (an empty body: a permitted person gets 422, others 403); Bill now run.
    ("can_read", "Subscription"): (
        ("GET", "/subscriptions/list/"),
        ("GET", "/api/v1/subscription/", None),
    ),
    ("can_write", "Subscription"): (
        ("GET", "/subscriptions/add"),
        ("POST", "/api/v1/subscription/", {}),
    ),
    ("can_run", "Subscription"): (("POST", "/subscriptionbilling/bill_now"), None),
}
# Rights with more than one API operation: the provider-links API (app/api/links.py;
# permissions.LINK_API_VERBS / LINK_API_RIGHTS). No connection 0 exists, so a permitted
# person gets 422 and nothing is issued; others 403.
MORE_API = {
    ("can_create_at_provider", "ProviderDocument"): [
        ("POST", "/api/v1/deal/{deal}/invoice", {"connection_id": 0}),
        ("POST", "/api/v1/document/{invoice}/issue", {"connection_ids": [0]}),
    ],
    ("can_read", "Invoice"): [("GET", "/api/v1/document/{invoice}/links", None)],
    ("can_read", "Quote"): [("GET", "/api/v1/document/{quote}/links", None)],
    ("can_read", "Deal"): [("GET", "/api/v1/deal/{deal}/documents", None)],
    ("can_read", "Reminder"): [("GET", "/api/v1/reminder/company/{acme}/history", None)],
    ("can_approve", "TimeEntry"): [("POST", "/api/v1/time_entry/0/reject", {"reason": "x"})],
    ("can_read", "SalesOrder"): [("GET", "/api/v1/sales_order/0", None)],
    ("can_read", "Subscription"): [
        ("GET", "/api/v1/subscription/preview", None),
    ],
    ("can_write", "Subscription"): [
        ("POST", "/api/v1/subscription/0/usage", {"rows": []}),
    ],
}
CSV = {
    ("can_read", r): url
    for r, url in [
        ("Deal", "/dealview/csv"),
        ("Company", "/companyview/csv"),
        ("Contact", "/contactview/csv"),
        ("Product", "/productview/csv"),
        ("DealType", "/dealtypeview/csv"),
        *[(resource, f"{route}/csv") for resource, route, _api in DOCUMENT_ROUTES],
        ("AuditTrail", "/audittrail/csv"),
    ]
}
PROFILE_LOGINS = {
    "Admin": "admin",
    "Sales": "sales",
    "Accounting": "accounting",
    "Approver": "approver",
    "ReadOnly": "readonly",
}


def allowed(profile: str, permission: tuple[str, str]) -> bool:
    return profile == "Admin" or permission in PROFILES[profile]


def test_every_declared_permission_has_an_operation(app):
    """A screen or API method whose permission no operation exercises fails here."""
    declared = set()
    for view in app.appbuilder.baseviews:
        resource = getattr(view, "class_permission_name", None)
        if resource in RESOURCES:
            declared |= {(p, resource) for p in view.base_permissions}
    assert declared, "no protected views found"
    assert declared <= set(OPERATIONS), sorted(declared - set(OPERATIONS))


def test_profiles_only_hold_known_permissions(app):
    sm = app.appbuilder.sm
    with app.app_context():
        for name, pairs in PROFILES.items():
            role = sm.find_role(name)
            held = {(pv.permission.name, pv.view_menu.name) for pv in role.permissions}
            assert held == set(pairs) | set(menu_permissions(pairs)) | set(SELF_SERVICE), name


@pytest.fixture()
def records(sample, db_session):
    from app.models.crm import DealType, Product
    from app.services.documents import issuing
    from tests.factories import ensure_issuer

    unused = Product(code="P-UNUSED", name="unused", unit_price=1, tax_rate="standard_10")
    spare = DealType(code="spare", name="spare")
    db_session.add_all([unused, spare])
    ensure_issuer(db_session)
    line = {"name": "x", "unit_price": 1, "quantity": 1}
    invoice = issuing.new_document("invoice", sample["acme"], lines=[line])
    quote = issuing.new_document("quote", sample["acme"], lines=[line])
    db_session.commit()
    return {
        "invoice": invoice.id,
        "quote": quote.id,
        "deal": sample["amount_only"].id,
        "acme": sample["acme"].id,
        "hanako": sample["hanako"].id,
        "lunch_unused": unused.id,
        "spare_type": spare.id,
    }


def _screen_allowed(client, method, url):
    """True unless FAB turned the person away (403 signed in, else a redirect to login)."""
    if method == "POST":
        response = client.post(url, data={"csrf_token": csrf_token(client, CSRF_PAGE)})
    else:
        response = client.get(url)
    assert response.status_code < 500, (method, url)
    if response.status_code == 403:
        return False
    return not (response.status_code == 302 and "/login" in response.headers["Location"])


def _api_allowed(client, token, method, url, body):
    response = client.open(
        url, method=method, json=body, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code < 500, (method, url, response.get_data(as_text=True))
    return response.status_code not in (401, 403)


@pytest.mark.parametrize("profile", list(PROFILE_LOGINS))
def test_matrix(app, records, profile):
    username = PROFILE_LOGINS[profile]
    failures = []
    for permission, (screen, api) in OPERATIONS.items():
        expected = allowed(profile, permission)
        client = app.test_client()
        login(client, username)
        method, url = screen
        got = _screen_allowed(client, method, url.format(**records))
        if got != expected:
            failures.append(("screen", permission, url, expected, got))
        if permission in CSV:
            response = client.get(CSV[permission])
            response.get_data()
            response.close()
            if (response.status_code == 200) != expected:
                failures.append(("csv", permission, CSV[permission], expected))
        for operation in ([api] if api is not None else []) + MORE_API.get(permission, []):
            token = (
                app.test_client()
                .post(
                    "/api/v1/security/login",
                    json={"username": username, "password": username, "provider": "db"},
                )
                .get_json()["access_token"]
            )
            method, url, body = operation
            got = _api_allowed(app.test_client(), token, method, url.format(**records), body)
            if got != expected:
                failures.append(("api", permission, url, expected, got))
    assert not failures, "\n".join(map(str, failures))
