"""Property: for random invoices (quantities, unit prices, discounts, 10 %/8 %/exempt
mixes, each issuer rounding mode) created at each sandbox through our real client over
real HTTP, the provider's total and tax per rate are Renkei's — or, at Zoho, the invoice
is refused in words before it is sent."""

from __future__ import annotations

import os
import time

import pytest
from hypothesis import HealthCheck, given, settings

from tests.providers.money_cases import PROVIDERS, check_one, connect, invoices

EXAMPLES = int(os.environ.get("RENKEI_MONEY_EXAMPLES", "300"))


@pytest.mark.parametrize("name", PROVIDERS)
def test_provider_holds_renkeis_total_and_tax_per_rate(app, fresh_sandbox, name):
    with app.test_request_context():
        provider = connect(fresh_sandbox, name)
        started = time.perf_counter()

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow],
        )
        @given(invoices)
        def check(case):
            lines, rounding = case
            check_one(provider, lines, rounding)

        check()
        elapsed = time.perf_counter() - started
    print(
        f"\n{name}: {provider.created} created, {provider.refused} refused "
        f"in {elapsed:.1f}s ({EXAMPLES} examples)"
    )
    assert provider.created > 0
    for box in PROVIDERS:
        fresh_sandbox.control(box, "POST", "reset")
