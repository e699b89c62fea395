"""Same money everywhere, at scale: many random invoices per provider created at the
sandboxes through our real adapters over real HTTP, each checked against Renkei's total
and tax per rate (the suite's property test runs fewer; see
tests/providers/test_money_agreement_property.py). ``python -m tests.bench money``;
RENKEI_MONEY_BENCH_EXAMPLES sets the number per provider (default 2000)."""

from __future__ import annotations

import os
import time

from hypothesis import HealthCheck, given, settings

from tests.bench.common import bench_app, write_result

EXAMPLES = int(os.environ.get("RENKEI_MONEY_BENCH_EXAMPLES", "2000"))


def run() -> dict:
    """Create EXAMPLES random invoices per provider; returns the figures per provider."""
    from tests.providers.conftest import Sandbox
    from tests.providers.money_cases import PROVIDERS, check_one, connect, invoices

    rows = {}
    with bench_app() as (app, server), app.test_request_context():
        box = Sandbox(server.url)
        for name in PROVIDERS:
            box.control(name, "POST", "reset")
            provider = connect(box, name)
            started = time.perf_counter()

            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            @given(invoices)
            def check(case):
                check_one(provider, *case)  # noqa: B023 - run before the loop moves on

            check()
            elapsed = time.perf_counter() - started
            rows[name] = (
                f"{provider.created} created, {provider.refused} refused (Zoho: in words), "
                f"{elapsed:.1f}s, {1000 * elapsed / EXAMPLES:.1f} ms an invoice"
            )
            box.control(name, "POST", "reset")
    write_result("money_agreement", rows)
    return rows
