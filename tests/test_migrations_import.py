"""Migration 0012_import: nothing lost in the move.

A database at 0010_sync holds provider invoices made straight from deals (no Renkei
document); upgraded to head, each is a numbered Renkei document with its lines, totals,
state, payment and trail entry, and its row is that document's link, unchanged
otherwise. The figures are checked against the services' own rules (money, tax,
sync.lines, billing_status), so the migration's written-out copy cannot drift from them
unnoticed. Downgraded again, the rows are as they were. SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from tests.conftest import (
    REDIS_URL,
    TEST_ENCRYPTION_KEY,
    TEST_SECRET,
    drop_database,
    make_database,
)

ROOT = Path(__file__).resolve().parent.parent
NOW = dt.datetime.now(dt.UTC).replace(tzinfo=None)
ISSUER = {
    "name": "連携商事株式会社",
    "name_en": "Renkei Trading Co., Ltd.",
    "registration_number": "T1234567890123",
    "postal_code": "100-0005",
    "address": "東京都千代田区丸の内1-1-1",
    "bank_account": "みずほ銀行 本店営業部 普通 1234567",
}
STATES = {  # billing status of the old row → state of its document
    "unpaid": "sent",
    "paid": "paid",
    "overdue": "sent",
    "draft": "approved",
    "void": "void",
    "deleted": "sent",
    "failed": "approved",
    "pending": "approved",
    "partially_paid": "sent",
    "sent": "sent",
}


def _app_at(url: str, revision: str):
    """A Renkei app on ``url`` whose database is migrated up to ``revision`` only."""
    saved = os.environ.get("DATABASE_URL")
    os.environ.update(
        RENKEI_ENV="test",
        SECRET_KEY=TEST_SECRET,
        RENKEI_ENCRYPTION_KEY=TEST_ENCRYPTION_KEY,
        DATABASE_URL=url,
    )
    from flask_migrate import upgrade

    from app import create_app

    try:
        app = create_app({"RATELIMIT_ENABLED": False, "REDIS_URL": REDIS_URL, "SERVER_NAME": None})
    finally:
        if saved is not None:
            os.environ["DATABASE_URL"] = saved
    with app.app_context():
        upgrade(revision=revision)
    return app


def _days(n: int) -> dt.date:
    return NOW.date() + dt.timedelta(days=n)


def _stamp(n: int, hour: int = 1) -> dt.datetime:
    return dt.datetime.combine(_days(n), dt.time(hour))


# -- the data as it stood at 0010 -------------------------------------------------------


def _line(name, price, quantity, rate="standard_10", discount="0", unit=None, product=None):
    return {
        "name": name,
        "unit": unit,
        "unit_price": Decimal(price),
        "quantity": Decimal(quantity),
        "discount_percent": Decimal(discount),
        "tax_rate": rate,
        "product_id": product,
    }


def _seed(conn, rounding: str | None) -> dict:
    """Companies, deals, connections, partner links and provider invoices as 0010 kept
    them (and, with an issuer, two Renkei invoices numbered before)."""
    from app.services.money import line_amount

    t = sa.MetaData()
    t.reflect(bind=conn)
    stamps = {"created_at": _stamp(-60), "updated_at": _stamp(-60)}

    def add(table, **values):
        if "created_at" in t.tables[table].c and "created_at" not in values:
            values.update(stamps)
        return conn.execute(t.tables[table].insert().values(**values)).inserted_primary_key[0]

    entity = None
    if rounding is not None:
        entity = add("legal_entity", **ISSUER, base_currency="JPY", tax_rounding=rounding,
                     brand_colour="#1f4e79")  # fmt: skip
    c1 = add("company", code="C001", name="株式会社サンプル", email="billing@sample.co.jp",
             postal_code="150-0002", prefecture="東京都", address1="渋谷区渋谷2-1-1")  # fmt: skip
    c2 = add("company", code="C002", name="Acme Japan KK", postal_code="530-0001")
    c3 = add("company", code="C003", name="有限会社テスト", email="keiri@test.example.jp")
    contact = add("contact", company_id=c1, name="田中 一郎", email="tanaka@sample.co.jp")
    product = add("product", code="P001", name="コンサルティング", unit="時間",
                  unit_price=Decimal(15000), currency="JPY", tax_rate="standard_10")  # fmt: skip
    deal_lines = {
        "d1": [  # mixed 10 % / 8 %, a discount
            _line("コンサルティング", "15000", "3", unit="時間", product=product),
            _line("お弁当", "1080", "7", "reduced_8", unit="個"),
            _line("初期設定費", "33333", "1", discount="15"),
        ],
        "d2": [],  # no lines: its title and amount
        "d3": [
            _line("デザイン", "9999", "2.5", discount="12.5", unit="日"),
            _line("書籍", "1234", "3", "reduced_8", unit="冊"),
            _line("印紙代", "200", "1", "exempt"),
        ],
        "d4": [],
        "d5": [_line("年間保守", "98765", "1")],
        "d6": [_line("Support plan", "199.99", "3", discount="5")],  # USD
    }
    amounts = {"d2": Decimal("123457"), "d4": Decimal("50000")}
    deal_specs = {
        "d1": ("基幹システム導入", c1, contact, "JPY"),
        "d2": ("年間ライセンス", c2, None, "JPY"),
        "d3": ("Webサイト制作", c3, None, "JPY"),
        "d4": ("スポット支援", c1, None, "JPY"),
        "d5": ("保守契約 2026", c2, None, "JPY"),
        "d6": ("US support", c2, None, "USD"),
    }
    deals = {}
    for key, (title, company, contact_id, currency) in deal_specs.items():
        lines = deal_lines[key]
        for line in lines:
            line["amount"] = line_amount(
                line["unit_price"], line["quantity"], line["discount_percent"], currency
            )
        amount = sum((line["amount"] for line in lines), Decimal(0)) if lines else amounts[key]
        deal_id = add("deal", title=title, company_id=company, contact_id=contact_id,
                      stage="won", probability=100, currency=currency,
                      amount=amount, billing_status="unpaid")  # fmt: skip
        for position, line in enumerate(lines):
            add("deal_line", deal_id=deal_id, position=position * 10, **line)
        deals[key] = SimpleNamespace(
            id=deal_id, title=title, company=company, contact=contact_id, currency=currency,
            amount=amount,
            lines=[SimpleNamespace(**line) for line in lines],
        )  # fmt: skip

    def connection(provider, name, base, **extra):
        return add("connection", provider=provider, name=name, status="connected",
                   client_id=f"{provider}-client", scopes="", base_currency="JPY",
                   api_base_url=base, authorize_url=f"{base}/oauth/authorize",
                   token_url=f"{base}/oauth/token", token_version=1,
                   connected_at=_stamp(-90), **extra)  # fmt: skip

    mf = connection("moneyforward", "Money Forward 本社", "https://invoice.moneyforward.com/api/v3")
    zoho = connection("zoho", "Zoho Invoice JP", "https://www.zohoapis.jp/invoice/v3",
                      data_centre="jp", organization_id="90001234567")  # fmt: skip
    zoho_us = connection("zoho", "Zoho Invoice US", "https://www.zohoapis.com/invoice/v3",
                         data_centre="com", organization_id="10234695")  # fmt: skip
    conn.execute(
        t.tables["connection"].update().where(t.tables["connection"].c.id == zoho_us),
        {"base_currency": "USD"},
    )
    freee = connection("freee", "freee 会計", "https://api.freee.co.jp/iv",
                       organization_id="3141592")  # fmt: skip
    for conn_id, company, external, department in (
        (mf, c1, "Z2mN8cQ4bR1", "D7kq0LwV"),
        (mf, c2, "Hx5Tt3nW0aP", "Ep2sR9uY"),
        (zoho, c2, "4605000000012345", None),
        (zoho, c1, "4605000000012377", None),
        (zoho_us, c2, "2155000000000081", None),
        (freee, c3, "98765432", None),
        (freee, c2, "98765433", None),
    ):
        add("partner_link", connection_id=conn_id, company_id=company, external_id=external,
            department_id=department, last_pushed_at=_stamp(-50))  # fmt: skip

    olds = [  # connection, deal, kind, status, external id, number, extra columns
        (
            mf,
            "d1",
            "invoice",
            "unpaid",
            "Wk1xYTdfQ2s",
            "INV-2026-0001",
            {"issue_date": _days(-20), "due_date": _days(20)},
        ),
        (
            zoho,
            "d2",
            "invoice",
            "paid",
            "4605000000100001",
            "INV-000101",
            {
                "issue_date": _days(-60),
                "due_date": _days(-30),
                "payment_status": "paid",
                "last_pulled_at": dt.datetime.combine(_days(-25), dt.time(16)),
            },
        ),
        (
            freee,
            "d3",
            "invoice",
            "overdue",
            "345678901",
            "2026-0042",
            {"issue_date": _days(-45), "due_date": _days(-15), "total_delta": Decimal(1)},
        ),
        (
            mf,
            "d5",
            "invoice",
            "draft",
            "Pq7rS2tU9vW",
            "INV-2026-0002",
            {"issue_date": _days(-3), "due_date": _days(27)},
        ),
        (
            zoho,
            "d1",
            "invoice",
            "void",
            "4605000000100002",
            "INV-000102",
            {"issue_date": _days(-40), "due_date": _days(-10)},
        ),
        (
            freee,
            "d5",
            "invoice",
            "deleted",
            "345678902",
            "2026-0043",
            {"issue_date": _days(-35), "due_date": _days(25), "deleted_at_provider": True},
        ),
        (
            mf,
            "d4",
            "invoice",
            "failed",
            None,
            None,
            {
                "created_at": dt.datetime.combine(_days(-2), dt.time(20)),  # Tokyo: the next day
                "last_error": "HTTP 422: billing.partner_id is invalid",
            },
        ),
        (zoho, "d4", "invoice", "pending", None, None, {"created_at": _stamp(0, 0)}),
        (
            freee,
            "d2",
            "invoice",
            "partially_paid",
            "345678903",
            "2026-0044",
            {"issue_date": _days(-10), "due_date": _days(20), "payment_status": "一部入金"},
        ),
        (
            zoho_us,
            "d6",
            "invoice",
            "sent",
            "2155000000300001",
            "INV-US-0007",
            {"issue_date": _days(-5), "due_date": _days(25), "currency": "USD"},
        ),
        (
            mf,
            "d3",
            "quote",
            "sent",
            "Qa1Bc2De3Fg",
            "QT-2026-0001",
            {"issue_date": _days(-70), "due_date": _days(-40)},
        ),
        (
            mf,
            "d5",
            "invoice",
            "paid",
            "Mn4Op5Qr6St",
            "INV-2026-0003",
            {"issue_date": _days(-100), "due_date": _days(-70)},
        ),
    ]
    legacy = []
    for n, (conn_id, deal_key, kind, status, external, number, extra) in enumerate(olds, 1):
        deal = deals[deal_key]
        extra = dict(extra)
        delta = extra.pop("total_delta", Decimal(0))
        created = extra.pop("created_at", _stamp(-30))
        values = {
            "connection_id": conn_id,
            "deal_id": deal.id,
            "kind": kind,
            "reference": f"RK-{deal.id}-{n:04d}",
            "external_id": external,
            "number": number,
            "currency": deal.currency,
            "billing_status": status,
            "deleted_at_provider": False,
            "created_by_automation": False,
            "created_at": created,
            "updated_at": created,
            "customer_external_id": "4605000000012345" if conn_id == zoho else None,
            "provider_url": f"https://provider.example/{external}" if external else None,
            "last_pushed_at": created + dt.timedelta(minutes=1) if external else None,
            **extra,
        }
        if external:
            values["total"] = _expected_totals(deal, rounding or "down").gross + delta
        add("external_document", **values)
        blanks = dict.fromkeys(("issue_date", "due_date", "last_pulled_at", "total"))
        legacy.append(SimpleNamespace(**{**blanks, **values, "deal": deal, "connection": conn_id}))
    if entity is not None:  # Renkei invoices numbered before: the import continues after
        for number in ("INV-000001", "INV-000002"):
            add("document", kind="invoice", number=number, state="sent", legal_entity_id=entity,
                company_id=c2, recipient_name="Acme Japan KK", currency="JPY",
                language="ja", issue_date=_days(-80), subtotal=Decimal(1000),
                tax=Decimal(100), total=Decimal(1100))  # fmt: skip
        counter = t.tables["document_counter"]
        conn.execute(counter.update().where(counter.c.kind == "invoice"), {"last_number": 2})
    return {"entity": entity, "deals": deals, "legacy": legacy,
            "names": {mf: "Money Forward 本社", zoho: "Zoho Invoice JP",
                      zoho_us: "Zoho Invoice US", freee: "freee 会計"}}  # fmt: skip


def _expected_lines(deal, rounding: str):
    """The lines the provider was sent (app/services/sync/lines.py)."""
    from app.services.sync.lines import invoice_lines

    return invoice_lines(deal, rounding)


def _expected_totals(deal, rounding: str):
    from app.services.tax import compute_totals

    lines = _expected_lines(deal, rounding)
    return compute_totals([(line.amount, line.tax_rate) for line in lines], deal.currency, rounding)


def _rows(conn, table: str, order: str = "id") -> list[dict]:
    return [
        dict(r._mapping) for r in conn.execute(sa.text(f"SELECT * FROM {table} ORDER BY {order}"))
    ]


def _typed_links(conn) -> list[dict]:
    """external_document as 0010 had it, with typed dates and amounts (SQLite too)."""
    t = sa.MetaData()
    t.reflect(bind=conn, only=["external_document"])
    table = t.tables["external_document"]
    columns = [c for c in table.c if c.name not in ("document_id", "origin")]
    return [dict(r._mapping) for r in conn.execute(sa.select(*columns).order_by(table.c.id))]


# -- what must hold after the upgrade ---------------------------------------------------


def _check_imported(app, seeded: dict, rounding: str | None, before: list[dict]) -> None:
    from app.extensions import db
    from app.models.documents import Document
    from app.services.billing_status import compute
    from app.services.documents import payments
    from app.services.documents.issuer import issuer_of, rounding_of
    from app.services.documents.rules import recompute
    from app.services.sync.clock import business_day_of, business_today

    effective = rounding or "down"
    first_invoice = 3 if seeded["entity"] is not None else 1
    with app.app_context(), db.engine.connect() as conn:
        links = {row["id"]: row for row in _rows(conn, "external_document")}
        after = {row["id"]: row for row in _typed_links(conn)}
        assert [after[row["id"]] for row in before] == before  # every old column unchanged
        entities = _rows(conn, "legal_entity")
        entity = entities[0]
        if rounding is None:
            assert [e["name"] for e in entities] == ["(imported issuer)"]
            assert entity["tax_rounding"] == "down"
        docs = {row["id"]: row for row in _rows(conn, "document")}
        assert len(docs) == len(seeded["legacy"]) + (2 if seeded["entity"] else 0)
        lines = _rows(conn, "document_line", "document_id, position")
        paid = _rows(conn, "payment")
        trail = _rows(conn, "audit_entry")
        counters = {r["kind"]: r["last_number"] for r in _rows(conn, "document_counter", "kind")}
        invoice_seq, quote_seq = first_invoice, 1
        for old in seeded["legacy"]:
            link = links[old_id(links, old)]
            assert link["origin"] == "imported" and link["document_id"] is not None
            doc = docs[link["document_id"]]
            deal = old.deal
            if old.kind == "invoice":
                assert doc["number"] == f"INV-{invoice_seq:06d}"
                invoice_seq += 1
            else:
                assert doc["number"] == f"QT-{quote_seq:06d}"
                quote_seq += 1
            assert doc["kind"] == old.kind
            assert doc["state"] == (STATES[old.billing_status])
            assert doc["legal_entity_id"] == entity["id"]
            assert doc["company_id"] == deal.company and doc["deal_id"] == deal.id
            assert doc["contact_id"] == deal.contact
            assert doc["currency"] == deal.currency and doc["language"] == "ja"
            issue = old.issue_date or business_day_of(old.created_at)
            assert _date(doc["issue_date"]) == issue
            assert _date(doc["due_date"]) == (old.due_date if old.kind == "invoice" else None)
            company = conn.execute(
                sa.text("SELECT name FROM company WHERE id = :id"), {"id": deal.company}
            ).scalar()
            assert doc["recipient_name"] == company
            assert doc["tax_rounding"] == effective
            if rounding is None:
                assert doc["issuer_snapshot"] is None  # the placeholder stays live
            else:
                assert json.loads(doc["issuer_snapshot"]) == ISSUER
            # lines as they were sent, totals as the services compute them
            mine = [line for line in lines if line["document_id"] == doc["id"]]
            sent = _expected_lines(deal, effective)
            if deal.lines:
                assert [
                    (m["name"], m["unit"], m["tax_rate"], m["position"], m["product_id"])
                    for m in mine
                ] == [
                    (d.name, d.unit, d.tax_rate, p, d.product_id)
                    for p, d in enumerate(deal.lines, 1)
                ]
                for m, d in zip(mine, deal.lines, strict=True):
                    assert Decimal(str(m["unit_price"])) == d.unit_price
                    assert Decimal(str(m["quantity"])) == d.quantity
                    assert Decimal(str(m["discount_percent"])) == d.discount_percent
                    assert Decimal(str(m["amount"])) == d.amount
            else:
                assert [(m["name"], m["tax_rate"], m["position"]) for m in mine] == [
                    (deal.title, "standard_10", 1)
                ]
                assert Decimal(str(mine[0]["amount"])) == deal.amount
            # each line's net is what the provider was sent for it
            assert [Decimal(str(m["amount"])) for m in mine] == [s.amount for s in sent]
            totals = _expected_totals(deal, effective)
            assert Decimal(str(doc["subtotal"])) == totals.net
            assert Decimal(str(doc["tax"])) == totals.tax
            assert Decimal(str(doc["total"])) == totals.gross
            # the provider's own total stays on the link (the mismatch report shows it)
            assert after[link["id"]]["total"] == old.total
            # payment
            theirs = [p for p in paid if p["document_id"] == doc["id"]]
            if doc["state"] == "paid":
                assert len(theirs) == 1
                payment = theirs[0]
                assert Decimal(str(payment["amount"])) == totals.gross
                assert payment["connection_id"] == old.connection
                assert _date(payment["paid_on"]) == (
                    business_day_of(old.last_pulled_at) if old.last_pulled_at else issue
                )
                assert payment["note"] == "Imported: paid at the provider before version 0012"
                assert payment["reference"] == old.number
            else:
                assert theirs == []
            # trail
            entries = [e for e in trail if e["document_id"] == doc["id"]]
            shown = old.number or f"(not created there; reference {old.reference})"
            assert [(e["action"], e["user_id"], e["username"], e["note"]) for e in entries] == [
                (
                    "imported",
                    None,
                    "system",
                    f"Imported from {seeded['names'][old.connection]}: provider {old.kind} "
                    f"{shown} made from the deal before version 0012",
                )
            ]
            assert entries[0]["document_number"] == doc["number"]
        assert counters["invoice"] == invoice_seq - 1
        assert counters["quote"] == quote_seq - 1
        # the deals' billing status is the rule's
        deal_ids = [d.id for d in seeded["deals"].values()]
        rule = compute(conn, deal_ids, business_today())
        stored = dict(conn.execute(sa.text("SELECT id, billing_status FROM deal")).all())
        assert {i: stored[i] for i in deal_ids} == rule
        d = seeded["deals"]
        assert rule[d["d3"].id] == "overdue" and rule[d["d4"].id] == "failed"
        assert rule[d["d5"].id] == "deleted"  # a provider deleted a sent invoice
    # The app reads them as its own: balances, the issuer, and totals that its rules keep.
    with app.app_context():
        for old in seeded["legacy"]:
            link = links[old_id(links, old)]
            document = db.session.get(Document, link["document_id"])
            assert rounding_of(document) == effective
            assert issuer_of(document).name == (ISSUER["name"] if rounding else "(imported issuer)")
            if document.kind == "invoice" and document.state != "void":
                owed = 0 if document.state == "paid" else document.total
                assert payments.balance(document) == owed
            # the rules that keep lines and totals on every flush find nothing to change
            with db.session.no_autoflush:
                recompute(document, set(), db.session)
                assert not db.session.is_modified(document)
                assert not any(db.session.is_modified(line) for line in document.lines)
            db.session.rollback()
        db.session.rollback()
        db.session.remove()


def old_id(links: dict, old) -> int:
    return next(i for i, row in links.items() if row["reference"] == old.reference)


def _date(value):
    if isinstance(value, str):  # SQLite through text(): ISO strings
        return dt.date.fromisoformat(value[:10])
    return value


def _check_downgraded(app, seeded: dict, before: list[dict]) -> None:
    from app.extensions import db

    with app.app_context(), db.engine.connect() as conn:
        assert _typed_links(conn) == before
        columns = {c["name"] for c in sa.inspect(conn).get_columns("external_document")}
        assert "document_id" not in columns and "origin" not in columns
        docs = _rows(conn, "document")
        assert [d["number"] for d in docs] == (
            ["INV-000001", "INV-000002"] if seeded["entity"] else []
        )
        assert _rows(conn, "payment") == []
        kept = {d["id"] for d in docs}
        assert all(line["document_id"] in kept for line in _rows(conn, "document_line"))
        counters = {r["kind"]: r["last_number"] for r in _rows(conn, "document_counter", "kind")}
        assert counters["invoice"] == (2 if seeded["entity"] else 0)
        assert counters["quote"] == 0
        assert len(_rows(conn, "legal_entity")) == (1 if seeded["entity"] else 0)
        trail = _rows(conn, "audit_entry")  # append-only: the import and its undoing
        actions = sorted(e["action"] for e in trail)
        n = len(seeded["legacy"])
        assert actions == ["delete"] * n + ["imported"] * n


def _migration():
    """The migration's module, loaded from its file as Alembic loads it."""
    import importlib.util

    path = ROOT / "migrations/versions/0012_import_provider_invoices.py"
    spec = importlib.util.spec_from_file_location("migration_0012_import", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _upgrade_in_batches(app, size: int) -> None:
    """Up to 0011, then 0012's upgrade run by hand with batches of ``size`` rows."""
    from alembic.migration import MigrationContext
    from alembic.operations import Operations
    from flask_migrate import stamp, upgrade

    from app.extensions import db

    module = _migration()
    module.BATCH = size
    batches, import_batch = [], module._import_batch

    def counted(bind, rows, *args):
        batches.append(len(rows))
        return import_batch(bind, rows, *args)

    module._import_batch = counted
    with app.app_context():
        upgrade(revision="0011_links")
        with db.engine.begin() as conn, Operations.context(MigrationContext.configure(conn)):
            module.upgrade()
        assert len(batches) > 1 and all(n <= size for n in batches), batches
        stamp(revision="0012_import")
        upgrade()


def _run(url: str, rounding: str | None, batch: int | None = None) -> None:
    from flask_migrate import downgrade, upgrade

    from app.extensions import db

    app = _app_at(url, "0010_sync")
    try:
        with app.app_context(), db.engine.begin() as conn:
            seeded = _seed(conn, rounding)
        with app.app_context(), db.engine.connect() as conn:
            before = _typed_links(conn)
        if batch is None:
            with app.app_context():
                upgrade()
        else:
            _upgrade_in_batches(app, batch)
        _check_imported(app, seeded, rounding, before)
        with app.app_context():
            downgrade(revision="0010_sync")
        _check_downgraded(app, seeded, before)
        with app.app_context():  # and again: the same documents, the same numbers
            upgrade()
        _check_imported_again(app, seeded)
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _check_imported_again(app, seeded: dict) -> None:
    from app.extensions import db

    with app.app_context(), db.engine.connect() as conn:
        numbers = [
            r.number
            for r in conn.execute(
                sa.text(
                    "SELECT d.number FROM external_document e JOIN document d "
                    "ON d.id = e.document_id WHERE e.origin = 'imported' ORDER BY e.id"
                )
            )
        ]
        first = 3 if seeded["entity"] else 1
        invoices = [n for n in numbers if n.startswith("INV-")]
        assert invoices == [f"INV-{i:06d}" for i in range(first, first + len(invoices))]
        assert len(numbers) == len(seeded["legacy"])


@pytest.mark.parametrize(
    ("rounding", "batch"), [("half_up", None), (None, 5)], ids=["issuer", "no-issuer-batches"]
)
def test_sqlite_provider_invoices_become_documents(tmp_path, rounding, batch):
    _run(f"sqlite:///{tmp_path / 'renkei.db'}", rounding, batch)


def test_postgresql_provider_invoices_become_documents():
    """In batches of 5 (the 12 rows take three), then again in one after a downgrade."""
    url = make_database()
    try:
        _run(url, "up", batch=5)
    finally:
        drop_database(url)


# -- the migration's written-out rules are the services' rules ----------------------------


def test_written_out_billing_status_rule_is_the_services():
    """Every invoice state, due or not, with every pair of link statuses, alone and
    beside a second invoice: the migration's summary is billing_status.summarise's."""
    import itertools

    from app.services.billing_status import Invoice, summarise

    module = _migration()
    today = dt.date(2026, 12, 2)
    states = (*module.BY_STATE, "unknown")
    dues = (None, today - dt.timedelta(days=1), today)
    links = [()] + [
        ((status, deleted),)
        for status in ("pending", "failed", "sent", "unpaid", "deleted", "paid", "void")
        for deleted in (False, True)
    ]
    invoices = [(s, d, list(ls)) for s, d, ls in itertools.product(states, dues, links)]
    pairs = [[a] for a in invoices] + [[a, b] for a in invoices[::7] for b in invoices[::5]]
    for pair in pairs:
        theirs = summarise([Invoice(s, d, list(ls)) for s, d, ls in pair], today)
        assert module._summarise(pair, today) == theirs, pair
    assert module._summarise([], today) == summarise([], today) == "none"


def test_written_out_money_rules_are_the_services():
    """Line amounts and qualified-invoice totals, for random lines in JPY and USD with
    each rounding: the migration's figures are money.line_amount's and compute_totals'."""
    import random

    from app.services.money import line_amount
    from app.services.tax import compute_totals

    module = _migration()
    rng = random.Random(12)
    for _ in range(400):
        currency = rng.choice(("JPY", "USD"))
        places = 0 if currency == "JPY" else 2
        rounding = rng.choice(("down", "half_up", "up"))
        lines = []
        for _ in range(rng.randint(1, 6)):
            price = Decimal(rng.randint(0, 10**7)).scaleb(-rng.choice((0, 2, 4)))
            quantity = Decimal(rng.randint(1, 10**5)).scaleb(-rng.choice((0, 1, 4)))
            discount = Decimal(rng.randint(0, 10000)).scaleb(-2)
            rate = rng.choice(("standard_10", "reduced_8", "exempt"))
            amount = module._line_amount(price, quantity, discount, places)
            assert amount == line_amount(price, quantity, discount, currency)
            lines.append({"tax_rate": rate, "amount": amount})
        theirs = compute_totals([(x["amount"], x["tax_rate"]) for x in lines], currency, rounding)
        assert module._totals(lines, places, rounding) == (theirs.net, theirs.tax, theirs.gross)
