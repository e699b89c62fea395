"""The API fuzz (tests/test_api_fuzz.py) on the subscription endpoints only: never a 5xx."""

from __future__ import annotations

import pytest
import schemathesis

from tests.conftest import LiveServer
from tests.test_api_fuzz import _existing_ids, _run_operation

pytestmark = pytest.mark.usefixtures("english")


def test_subscription_endpoints_never_answer_5xx(app, db_session, sample, entity):
    client = app.test_client()
    login = {"username": "admin", "password": "admin", "provider": "db", "refresh": True}
    token = client.post("/api/v1/security/login", json=login).get_json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    client.post(
        "/api/v1/subscription/",
        json={
            "company_id": sample["sakura"].id,
            "start_date": "2026-01-31",
            "lines": [{"name": "Seats", "unit_price": "100", "quantity": "3"}],
        },
        headers=headers,
    )
    document = client.get("/api/v1/_openapi", headers=headers).get_json()
    schema = schemathesis.openapi.from_dict(document)
    errors, twists, operations = [], {}, 0
    with LiveServer(app) as server:
        for result in schema.get_all_operations():
            operation = result.ok()
            if "/subscription/" not in operation.path:
                continue
            operations += 1
            _run_operation(
                operation,
                server.url,
                headers,
                _existing_ids(client, headers, operation.path),
                [],
                [],
                twists,
                errors,
            )
    assert operations == 4 and sum(twists.values()) >= 4 * 12, twists
    assert not errors, "\n".join(map(str, errors[:10]))
