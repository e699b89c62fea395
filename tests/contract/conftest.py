"""Fixtures of the contract tests: a won JPY deal to invoice (the sync tests' own)."""

from __future__ import annotations

from tests.sync.conftest import jpy_deal  # noqa: F401  (a fixture, re-used as is)
