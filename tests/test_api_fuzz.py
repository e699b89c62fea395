"""Fuzz the REST API from its own OpenAPI document: bad input is a 4xx, never a 5xx.

Runs on PostgreSQL and on SQLite (the demo). Schemathesis generates valid and invalid
cases from the document; on top, each case may get a twist the document cannot
describe: an id beyond 64 bits, ``q`` as rison (FAB's form) with nasty filter values or
unbalanced parentheses, a JSON body that is a list, number or null, numbers that are
not numbers ("NaN", "1e400") or sit at and over the money bounds (Numeric(18,4)).
"""

from __future__ import annotations

import re
import time

import prison
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from tests.conftest import LiveServer, wipe_crm
from tests.factories import make_connected_mf, make_sample
from tests.sync.conftest import _wipe as wipe_sync

SKIP = re.compile(r"/security/(login|refresh)|/_openapi|/menu/")
EXAMPLES_PER_OPERATION = 12
# The provider-links operations (app/api/links.py) get more: their bodies name connections.
LINK_OPERATIONS = re.compile(r"/(deal|document)/\{pk\}/(invoice|issue|links|documents)$")
LINK_EXAMPLES = 40
HUGE = 10**20
NASTY_IDS = [2**63, 2**64, HUGE, -(2**63) - 1, -1, 0, "abc", "1e3", "１"]
# Money is Numeric(18,4): 99,999,999,999,999.9999 is the largest amount it holds.
MONEY_BOUNDS = [
    "99999999999999.9999",
    "100000000000000",
    99999999999999.9999,
    10**14,
    10**15,
    "0.00005",
    "-0.0001",
    0,
]
NOT_NUMBERS = ["NaN", "nan", "Infinity", "-Infinity", "1e400", "abc", "", "1,000", "１２", " 1 "]
NASTY_NUMBERS = [*MONEY_BOUNDS, *NOT_NUMBERS, 1e308, -1e308, HUGE, 2**63, -(2**63) - 1, True]
NASTY_BODIES = [[], [{"name": "x"}], 0, 3.5, None, "text", True]
BROKEN_Q = [
    "((((",
    "(" * 3000,
    "(page:",
    "!(",
    "'",
    ")",
    "(page:99999999999999999999,page_size:10)",
    "(page:-1)",
    "(page:0,page_size:0)",
    "(page:0,page_size:99999999999999999999)",
    "(order_column:nope,order_direction:asc)",
    "(order_column:id,order_direction:sideways)",
    "(columns:!(nope))",
    "(select_columns:!(nope.nope))",
    "(keys:!(nope))",
    "(filters:!((col:nope,opr:eq,value:1)))",
    "(filters:!((col:id,opr:nope,value:1)))",
    "(filters:!(1,2))",
    "(filters:3)",
    "!(1,2)",
    "null",
]
FILTER_VALUES = [HUGE, -HUGE, "abc", "1e400", "NaN", "2026-13-45", "", "a\x00b", 1.5, True, [HUGE]]


def _documents(session, root: str) -> list[int]:
    """An issuer, a draft invoice, a sent one and an approved one, and a connected Money
    Forward connection on the sandbox at ``root`` (its id returned), so document and link
    operations reach their rules."""
    import datetime as dt
    from decimal import Decimal

    from flask import current_app

    from app.models.documents import LegalEntity
    from app.services.documents import approvals, issuing, lifecycle

    sample = make_sample(session)
    session.add(LegalEntity(name="株式会社レンケイ", registration_number="T9010401123456"))
    session.commit()
    line = {"name": "導入支援", "unit_price": Decimal(1000), "quantity": Decimal(1)}
    issuing.new_document("invoice", sample["sakura"], lines=[line])
    sent = issuing.new_document("invoice", sample["acme"], lines=[line])
    admin = current_app.appbuilder.sm.find_user(username="admin")
    approvals.submit(sent, admin)
    lifecycle.move(sent, "sent")
    approved = issuing.new_document("invoice", sample["acme"], lines=[line])
    approvals.submit(approved, admin)
    session.commit()
    connection = make_connected_mf(session, root, "MF fuzz", dt.timedelta(hours=2))
    return [connection.id]


def _apis_by_resource(app):
    from flask_appbuilder.api import ModelRestApi

    return {
        api.resource_name: api
        for api in app.appbuilder.baseviews
        if isinstance(api, ModelRestApi) and api.resource_name
    }


def _filter_queries(api) -> list[str]:
    """``q`` values filtering each searchable column of ``api`` with a nasty value."""
    queries = []
    for column, kinds in api._filters.get_search_filters().items():
        for kind in kinds:
            for value in FILTER_VALUES:
                arguments = {"filters": [{"col": column, "opr": kind.arg_name, "value": value}]}
                queries.append(prison.dumps(arguments))
    return queries


def _strategy(operation):
    strategies = [operation.as_strategy(GenerationMode.POSITIVE)]
    try:
        strategies.append(operation.as_strategy(GenerationMode.NEGATIVE))
    except Exception:  # some operations have nothing to break
        pass
    return st.one_of(strategies)


def _twist(data, case, existing, filter_queries, connections) -> str:
    """Give ``case`` one nasty trait the OpenAPI document cannot describe; name it."""
    has_pk = "pk" in (case.path_parameters or {})
    has_q = "q" in (case.query or {}) or case.operation.method.upper() == "GET" and not has_pk
    has_body = case.operation.method.upper() in ("POST", "PUT")
    twists = ["as generated"]
    twists += ["id"] * has_pk + ["q", "filter"] * has_q + ["body", "numbers"] * has_body
    names = set(case.body) if isinstance(case.body, dict) else set()
    # twice the weight: only a few operations name connections, and they matter most
    twists += ["connection"] * 2 * bool(names & {"connection_id", "connection_ids"})
    twist = data.draw(st.sampled_from(twists))
    if has_pk and existing and twist != "id" and case.operation.method.upper() != "DELETE":
        case.path_parameters["pk"] = data.draw(st.sampled_from(existing))
    if case.query and isinstance(case.query.get("q"), dict | list):
        case.query["q"] = prison.dumps(case.query["q"])  # FAB reads rison first
    if twist == "id":
        case.path_parameters["pk"] = data.draw(st.sampled_from(NASTY_IDS))
    elif twist == "q":
        case.query = {**(case.query or {}), "q": data.draw(st.sampled_from(BROKEN_Q))}
    elif twist == "filter" and filter_queries:
        case.query = {**(case.query or {}), "q": data.draw(st.sampled_from(filter_queries))}
    elif twist == "connection":  # a connection that exists: the request reaches the service
        known = data.draw(st.sampled_from(connections + [0]))
        if "connection_ids" in case.body:
            rest = case.body["connection_ids"]
            case.body["connection_ids"] = [known, *(rest if isinstance(rest, list) else [])][:3]
        else:
            case.body["connection_id"] = known
    elif twist == "body":
        case.body = data.draw(st.sampled_from(NASTY_BODIES))
    elif twist == "numbers":
        body = case.body if isinstance(case.body, dict) else {}
        numeric = [k for k, v in body.items() if isinstance(v, int | float) and v is not True]
        names = sorted(set(numeric) | {"amount", "unit_price", "quantity"})
        case.body = {
            **body,
            data.draw(st.sampled_from(names)): data.draw(st.sampled_from(NASTY_NUMBERS)),
        }
    return twist


def _existing_ids(client, headers, path: str) -> list[int]:
    match = re.match(r"(/api/v1/[a-z_]+/)", path)
    if not match:
        return []
    # /document/<pk>/… (provider links) takes any kind's id: list invoices
    listing = match.group(1).replace("/document/", "/invoice/")
    answer = client.get(listing, query_string={"q": "(page_size:5)"}, headers=headers)
    return answer.get_json().get("ids", []) if answer.status_code == 200 else []


@pytest.mark.parametrize("database", ["postgresql", "sqlite"])
def test_api_never_answers_5xx(database, request):
    app = request.getfixturevalue("app" if database == "postgresql" else "sqlite_app")
    from app.extensions import db

    with app.app_context(), LiveServer(app) as server:
        connections = _documents(db.session, server.url)
        try:
            _fuzz(app, server, connections)
        finally:
            db.session.rollback()
            wipe_sync(db.session)
            wipe_crm(db.session)


def _fuzz(app, server, connections):
    client = app.test_client()
    login = {"username": "admin", "password": "admin", "provider": "db", "refresh": True}
    token = client.post("/api/v1/security/login", json=login).get_json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    document = client.get("/api/v1/_openapi", headers=headers).get_json()
    schema = schemathesis.openapi.from_dict(document)
    apis = _apis_by_resource(app)
    server_errors, twists, operations = [], {}, 0
    started = time.monotonic()
    for result in schema.get_all_operations():
        operation = result.ok()
        if SKIP.search(operation.path):
            continue
        operations += 1
        resource = re.match(r"/api/v1/([a-z_]+)/", operation.path)
        api = apis.get(resource.group(1)) if resource else None
        _run_operation(
            operation,
            server.url,
            headers,
            _existing_ids(client, headers, operation.path),
            _filter_queries(api) if api else [],
            connections,
            twists,
            server_errors,
        )

    elapsed = time.monotonic() - started
    calls = sum(twists.values())
    print(f"fuzz: {operations} operations, {calls} calls in {elapsed:.0f} s, twists {twists}")
    assert operations >= 30, f"only {operations} operations found in the OpenAPI document"
    paths = {result.ok().path for result in schema.get_all_operations()}
    for path in (
        "/invoice/{pk}/action/{name}",
        "/invoice/{pk}/payment",
        "/audit_trail/",
        "/deal/{pk}/invoice",
        "/deal/{pk}/documents",
        "/document/{pk}/issue",
        "/document/{pk}/links",
    ):
        assert any(p.endswith(path) for p in paths), path
    assert all(twists.get(t, 0) >= 30 for t in ("id", "q", "filter", "body", "numbers")), twists
    assert twists.get("connection", 0) >= 5, twists
    assert not server_errors, "\n".join(map(str, server_errors[:10]))


def _run_operation(
    operation, base_url, headers, existing, filter_queries, connections, twists, server_errors
):
    """Fuzz one operation; count twists and collect 5xx answers."""

    @given(case=_strategy(operation), data=st.data())
    @settings(
        max_examples=LINK_EXAMPLES
        if LINK_OPERATIONS.search(operation.path)
        else EXAMPLES_PER_OPERATION,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    def exercise(case, data):
        twist = _twist(data, case, existing, filter_queries, connections)
        response = case.call(base_url=base_url, headers=headers)
        twists[twist] = twists.get(twist, 0) + 1
        if response.status_code >= 500:
            server_errors.append(
                (
                    case.operation.label,
                    twist,
                    case.path_parameters,
                    case.query,
                    case.body,
                    response.status_code,
                    response.text[:300],
                )
            )

    exercise()
