"""Fuzz the REST API from its own OpenAPI document: bad input is a 4xx, never a 5xx."""

import re

import schemathesis
from hypothesis import HealthCheck, given, settings

SKIP = re.compile(r"/security/(login|refresh)|/_openapi|/menu/")
EXAMPLES_PER_OPERATION = 15


def _documents(db_session, sample):
    """An issuer and a draft invoice, so document operations reach their rules."""
    from decimal import Decimal

    from app.models.documents import LegalEntity
    from app.services.documents import issuing

    db_session.add(LegalEntity(name="株式会社レンケイ", registration_number="T9010401123456"))
    db_session.commit()
    line = {"name": "導入支援", "unit_price": Decimal(1000), "quantity": Decimal(1)}
    return issuing.new_document("invoice", sample["sakura"], lines=[line])


def test_api_never_answers_5xx(app, live_server, client, api_token, sample, db_session):
    _documents(db_session, sample)
    document = client.get("/api/v1/_openapi", headers={"Authorization": f"Bearer {api_token}"})
    schema = schemathesis.openapi.from_dict(document.get_json())
    headers = {"Authorization": f"Bearer {api_token}"}
    server_errors, calls, operations = [], [0], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if SKIP.search(operation.path):
            continue
        operations += 1

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def exercise(case):
            response = case.call(base_url=live_server.url, headers=headers)
            calls[0] += 1
            if response.status_code >= 500:
                server_errors.append(
                    (
                        case.operation.label,
                        case.path_parameters,
                        case.query,
                        case.body,
                        response.status_code,
                        response.text[:300],
                    )
                )

        exercise()
    assert operations >= 30, f"only {operations} operations found in the OpenAPI document"
    paths = {result.ok().path for result in schema.get_all_operations()}
    for path in ("/invoice/{pk}/action/{name}", "/invoice/{pk}/payment", "/audit_trail/"):
        assert any(p.endswith(path) for p in paths), path
    assert calls[0] >= operations
    assert not server_errors, "\n".join(map(str, server_errors[:10]))
