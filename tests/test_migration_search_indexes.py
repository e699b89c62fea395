"""0016_search_indexes: trigram indexes on PostgreSQL (none on SQLite), deals by amount
on both; down and up again; a "contains" search on deal titles uses its index."""

from alembic import command
from flask import current_app

from tests.conftest import build_app, drop_database, make_database

TRIGRAM = {
    "ix_trgm_deal_title",
    "ix_trgm_company_name",
    "ix_trgm_contact_name",
    "ix_trgm_document_number",
}


def _indexes(app) -> set[str]:
    import sqlalchemy as sa

    from app.extensions import db

    with app.app_context():
        inspector = sa.inspect(db.engine)
        return {
            index["name"]
            for table in ("deal", "company", "contact", "document")
            for index in inspector.get_indexes(table)
        }


def _migrate(app, verb: str, revision: str) -> None:
    with app.app_context():
        getattr(command, verb)(current_app.extensions["migrate"].migrate.get_config(), revision)


def test_postgresql_up_down_up_and_the_search_uses_the_index():
    url = make_database()
    try:
        app = build_app(url)
        assert TRIGRAM | {"ix_deal_amount"} <= _indexes(app)
        _migrate(app, "downgrade", "0019_editor")
        assert not (TRIGRAM | {"ix_deal_amount"}) & _indexes(app)
        _migrate(app, "upgrade", "head")
        assert TRIGRAM | {"ix_deal_amount"} <= _indexes(app)
        from app.extensions import db

        with app.app_context():
            db.session.execute(db.text("SET enable_seqscan = off"))  # a tiny table
            plan = "\n".join(
                row[0]
                for row in db.session.execute(
                    db.text("EXPLAIN SELECT id FROM deal WHERE title ILIKE '%システム%'")
                )
            )
            db.session.rollback()
            db.engine.dispose()
        assert "ix_trgm_deal_title" in plan, plan
    finally:
        drop_database(url)


def test_sqlite_gets_only_the_amount_index_and_goes_down(tmp_path):
    app = build_app(f"sqlite:///{tmp_path / 'renkei.db'}")
    indexes = _indexes(app)
    assert "ix_deal_amount" in indexes and not TRIGRAM & indexes
    _migrate(app, "downgrade", "0019_editor")
    assert "ix_deal_amount" not in _indexes(app)
