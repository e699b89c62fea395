"""Fixtures of the contract tests: a won JPY deal to invoice (the sync tests' own)."""

from __future__ import annotations

import pytest

from tests.sync.conftest import jpy_deal  # noqa: F401  (a fixture, re-used as is)


@pytest.fixture(autouse=True)
def issuer(request):
    """Invoices from deals are Renkei documents: they need an issuing legal entity."""
    if "db_session" not in request.fixturenames:
        yield None
        return
    from tests.factories import ensure_issuer

    yield ensure_issuer(request.getfixturevalue("db_session"))
