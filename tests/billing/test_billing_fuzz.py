"""The billing endpoints fuzzed from the OpenAPI document (as tests/test_api_fuzz.py does
for every endpoint): bad input is a 4xx, never a 5xx — here with a contract, its parts
and time entries existing, so the cases reach the rules."""

from __future__ import annotations

import datetime as dt

from app.services.billing import milestones
from app.services.billing import time_entries as tm
from tests.billing.test_milestones import PARTS
from tests.conftest import LiveServer
from tests.test_api_fuzz import _run_operation

BILLING = ("/api/v1/milestone/", "/api/v1/time_entry/")


def test_billing_api_never_answers_5xx(app, db_session, deal, users):
    import schemathesis

    contract = milestones.create_contract(deal, PARTS, users["sales"])
    entry = tm.enter(
        users["sales"],
        deal=deal,
        work_date=dt.date(2026, 11, 2),
        hours="1",
        rate="1",
        description="x",
    )
    existing = [deal.id, entry.id, *(p.id for p in contract.parts)]
    client = app.test_client()
    login = {"username": "admin", "password": "admin", "provider": "db"}
    token = client.post("/api/v1/security/login", json=login).get_json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    document = client.get("/api/v1/_openapi", headers=headers).get_json()
    schema = schemathesis.openapi.from_dict(document)
    errors, twists, operations = [], {}, 0
    with LiveServer(app) as server:
        for result in schema.get_all_operations():
            operation = result.ok()
            if not operation.path.startswith(BILLING):
                continue
            operations += 1
            _run_operation(operation, server.url, headers, existing, [], [], twists, errors)
    assert operations == 10, operations
    assert not errors, "\n".join(map(str, errors[:10]))
