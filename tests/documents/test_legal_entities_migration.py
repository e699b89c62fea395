"""0020_entities on SQLite and PostgreSQL: numbers already issued stay as they were, the
per-kind counters become the first entity's (it continues where it was), a second
existing entity gets its own prefix and counters, connections get the first entity; down
and up again."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from flask import current_app

from tests.conftest import build_app, drop_database, make_database

# The revision before 0020_entities, read from the file (the lead re-chains migrations).
_SOURCE = (Path(__file__).parents[2] / "migrations/versions/0020_entities.py").read_text()
PREVIOUS = re.search(r'^down_revision = "([^"]+)"', _SOURCE, re.M).group(1)


def _migrate(app, verb: str, revision: str) -> None:
    with app.app_context():
        getattr(command, verb)(current_app.extensions["migrate"].migrate.get_config(), revision)


def _old_world(conn) -> None:
    """What a database looks like before 0020: two entities, one counter per kind."""
    now = dt.datetime(2026, 11, 1, 9, 0)
    conn.execute(sa.text("DELETE FROM document_counter"))
    for name in ("株式会社レンケイ", "Renkei Inc."):
        conn.execute(
            sa.text(
                "INSERT INTO legal_entity (name, base_currency, tax_rounding, brand_colour, "
                "created_at, updated_at) VALUES (:n, 'JPY', 'down', '#1f4e79', :t, :t)"
            ),
            {"n": name, "t": now},
        )
    first, second = [r[0] for r in conn.execute(sa.text("SELECT id FROM legal_entity ORDER BY id"))]
    conn.execute(
        sa.text(
            "INSERT INTO company (code, name, created_at, updated_at) "
            "VALUES ('C-MIG', 'Migration K.K.', :t, :t)"
        ),
        {"t": now},
    )
    company = conn.execute(sa.text("SELECT id FROM company WHERE code = 'C-MIG'")).scalar()
    numbered = [
        ("invoice", "INV-000041", first),
        ("invoice", "INV-000042", second),  # the old shared counter numbered both
        ("quote", "QUO-000007", first),
    ]
    for kind, number, entity in numbered:
        conn.execute(
            sa.text(
                "INSERT INTO document (kind, number, state, legal_entity_id, company_id, "
                "recipient_name, currency, language, issue_date, subtotal, tax, total, "
                "created_by_automation, created_at, updated_at) VALUES (:k, :num, 'sent', "
                ":e, :c, 'Migration K.K.', 'JPY', 'ja', :d, 1000, 100, 1100, :f, :t, :t)"
            ),
            {
                "k": kind,
                "num": number,
                "e": entity,
                "c": company,
                "d": dt.date(2026, 11, 1),
                "f": False,
                "t": now,
            },
        )
    for kind, last in (("quote", 7), ("invoice", 42), ("delivery_note", 0), ("credit_note", 3)):
        conn.execute(
            sa.text("INSERT INTO document_counter (kind, last_number) VALUES (:k, :n)"),
            {"k": kind, "n": last},
        )
    conn.execute(
        sa.text(
            "INSERT INTO connection (provider, name, status, client_id, scopes, base_currency, "
            "api_base_url, authorize_url, token_url, token_version, created_at, updated_at) "
            "VALUES ('moneyforward', 'MF migration', 'new', 'x', '', 'JPY', 'http://a', "
            "'http://a', 'http://a', 0, :t, :t)"
        ),
        {"t": now},
    )


def _numbers(conn) -> list[tuple]:
    return [
        tuple(r)
        for r in conn.execute(
            sa.text("SELECT kind, number, legal_entity_id FROM document ORDER BY number")
        )
    ]


def _check(app) -> None:
    from app.extensions import db

    with app.app_context():
        engine = db.engine
        with engine.begin() as conn:
            _old_world(conn)
            before = _numbers(conn)
            first, second = [
                r[0] for r in conn.execute(sa.text("SELECT id FROM legal_entity ORDER BY id"))
            ]
        _migrate(app, "upgrade", "0020_entities")
        with engine.begin() as conn:
            assert _numbers(conn) == before  # nothing already issued changes
            prefixes = dict(
                conn.execute(sa.text("SELECT id, number_prefix FROM legal_entity")).all()
            )
            assert prefixes == {first: "", second: f"E{second}-"}
            counters = {
                (r[0], r[1]): r[2]
                for r in conn.execute(
                    sa.text("SELECT legal_entity_id, kind, last_number FROM document_counter")
                )
            }
            assert counters == {
                (first, "quote"): 7,
                (first, "invoice"): 42,
                (first, "delivery_note"): 0,
                (first, "credit_note"): 3,
            }
            entities = {
                r[0] for r in conn.execute(sa.text("SELECT legal_entity_id FROM connection"))
            }
            assert entities == {first}
        # The app numbers on: the first entity continues, the second starts its own.
        from app.models.crm import Company
        from app.models.documents import LegalEntity
        from app.services.documents import issuing

        company = db.session.query(Company).filter_by(code="C-MIG").one()
        line = {"name": "x", "unit_price": 1000, "quantity": 1, "tax_rate": "standard_10"}
        one = issuing.new_document(
            "invoice", company, legal_entity=db.session.get(LegalEntity, first), lines=[line]
        )
        two = issuing.new_document(
            "invoice", company, legal_entity=db.session.get(LegalEntity, second), lines=[line]
        )
        assert (one.number, two.number) == ("INV-000043", f"E{second}-INV-000001")
        db.session.commit()
        db.session.remove()
        # Down: one counter per kind again, the first entity's; up again.
        _migrate(app, "downgrade", PREVIOUS)
        with engine.begin() as conn:
            rows = dict(
                conn.execute(sa.text("SELECT kind, last_number FROM document_counter")).all()
            )
            assert rows == {"quote": 7, "invoice": 43, "delivery_note": 0, "credit_note": 3}
        _migrate(app, "upgrade", "head")
        with engine.begin() as conn:
            assert ("invoice", "INV-000041", first) in _numbers(conn)
            conn.execute(sa.text("DELETE FROM connection"))
        engine.dispose()


def test_sqlite_migration_keeps_numbers(tmp_path):
    app = build_app(f"sqlite:///{tmp_path / 'renkei.db'}")
    _migrate(app, "downgrade", PREVIOUS)
    _check(app)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_postgresql_migration_keeps_numbers():
    url = make_database()
    try:
        app = build_app(url)
        _migrate(app, "downgrade", PREVIOUS)
        _check(app)
    finally:
        drop_database(url)
