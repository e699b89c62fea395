"""The scale benchmark's data set: a real company's volume, built in SQL in minutes.

Companies, deals (two lines each), documents (invoices with lines, some payments, a
credit note for every tenth invoice, a few quotes) and the audit trail are written with
set-based ``INSERT … SELECT generate_series`` statements — no ORM objects — into a
database of their own (``renkei_bench_scale`` for the default sizes). The schema comes
from the migrations and the roles and logins from ``bootstrap``/``ensure_demo_users``, as
on a real install. A finished build leaves the table ``bench_scale_done``; the next run
reuses the database (after running any newer migrations) unless asked to rebuild.
"""

from __future__ import annotations

import base64
import os
import time
from dataclasses import dataclass

import sqlalchemy as sa

PG_ADMIN_URL = os.environ.get(
    "RENKEI_TEST_PG_ADMIN_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
)
# Fixed per data set: any run's servers read the same database with the same settings.
BENCH_SECRET = "bench-scale-secret-" + "s" * 40
BENCH_ENCRYPTION_KEY = base64.urlsafe_b64encode(b"renkei-bench-scale-key-32-bytes!").decode()


@dataclass(frozen=True)
class Sizes:
    deals: int = 100_000
    companies: int = 2_000
    documents: int = 100_000
    audit: int = 1_000_000

    @property
    def database(self) -> str:
        if self == Sizes():
            return "renkei_bench_scale"
        return f"renkei_bench_scale_{self.deals}_{self.companies}_{self.documents}_{self.audit}"


def database_url(sizes: Sizes) -> str:
    return sa.engine.make_url(PG_ADMIN_URL).set(database=sizes.database).render_as_string(False)


def app_environment(url: str, redis_url: str) -> dict[str, str]:
    """The environment a server of this data set runs with (production mode, plain http)."""
    return {
        "RENKEI_ENV": "production",
        "SECRET_KEY": BENCH_SECRET,
        "RENKEI_ENCRYPTION_KEY": BENCH_ENCRYPTION_KEY,
        "DATABASE_URL": url,
        "REDIS_URL": redis_url,
        "SESSION_COOKIE_SECURE": "0",
        "RATELIMIT_ENABLED": "0",
        "RENKEI_LOCALE": "en",
        # The figure is the download of all 100,000 deals in the request itself;
        # above the default 50,000 the console hands it to a job (tested in the suite).
        "RENKEI_CSV_INLINE_MAX_ROWS": "1000000",
    }


def _exists(sizes: Sizes) -> bool:
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        found = conn.execute(
            sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": sizes.database}
        ).scalar()
    admin.dispose()
    if not found:
        return False
    engine = sa.create_engine(database_url(sizes))
    with engine.connect() as conn:
        done = conn.execute(sa.text("SELECT to_regclass('public.bench_scale_done')")).scalar()
    engine.dispose()
    return done is not None


def _recreate(sizes: Sizes) -> None:
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{sizes.database}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{sizes.database}"'))
    admin.dispose()


def _migrate_and_bootstrap(url: str, redis_url: str) -> None:
    """Schema from the migrations; roles, profiles, templates and the demo logins."""
    os.environ.update(app_environment(url, redis_url))
    from flask_migrate import upgrade

    from app import create_app
    from app.cli import bootstrap, ensure_demo_users
    from app.extensions import db

    app = create_app({"SANDBOX_ENABLED": False})
    with app.app_context():
        upgrade()
        bootstrap()
        ensure_demo_users()
        db.session.remove()
        db.engine.dispose()


# Every statement reads its sizes from :parameters; ids are offsets from the first row.
_STATEMENTS = [
    (
        "companies",
        """
        INSERT INTO company (code, name, kana, postal_code, prefecture, address1, phone,
                             email, invoice_registration_number, created_at, updated_at)
        SELECT 'C' || lpad(n::text, 6, '0'), '株式会社スケール' || n, 'スケール' || n,
               '100-0001', (ARRAY['東京都','大阪府','愛知県','福岡県','北海道'])[1 + n % 5],
               '千代田区1-' || n, '03-0000-' || lpad((n % 10000)::text, 4, '0'),
               'c' || n || '@example.com', NULL, now(), now()
        FROM generate_series(1, :companies) AS n
        """,
    ),
    (
        "deal types and products",
        """
        INSERT INTO deal_type (code, name)
        SELECT 'T' || n, (ARRAY['新規','更新','追加','保守','研修'])[n]
        FROM generate_series(1, 5) n;
        INSERT INTO product (code, name, unit, unit_price, currency, tax_rate,
                             created_at, updated_at)
        SELECT 'P' || n, '製品' || n, '式', 1000 * n, 'JPY',
               CASE WHEN n % 4 = 0 THEN 'reduced_8' ELSE 'standard_10' END, now(), now()
        FROM generate_series(1, 20) n
        """,
    ),
    (
        "deals",
        """
        INSERT INTO deal (title, company_id, deal_type_id, stage, probability, owner_id,
                          currency, amount, expected_close_date, billing_status,
                          created_at, updated_at)
        SELECT '案件 ' || n, c0.id + (n % :companies), t0.id + (n % 5),
               (ARRAY['lead','qualified','proposal','negotiation','won','lost'])[1 + n % 6],
               (ARRAY[10, 25, 50, 75, 100, 0])[1 + n % 6], u.id, 'JPY',
               3000 * (1 + n % 97), DATE '2026-01-01' + (n % 700),
               (ARRAY['none','unpaid','paid','overdue'])[1 + n % 4],
               now() - (n || ' minutes')::interval, now()
        FROM generate_series(1, :deals) AS n,
             (SELECT min(id) AS id FROM company) c0,
             (SELECT min(id) AS id FROM deal_type) t0,
             (SELECT id FROM ab_user WHERE username = 'admin') u
        """,
    ),
    (
        "deal lines",
        """
        INSERT INTO deal_line (deal_id, position, product_id, name, unit, unit_price,
                               quantity, discount_percent, tax_rate, amount)
        SELECT d.id, k, p0.id + ((d.id + k) % 20), '製品' || (1 + (d.id + k) % 20), '式',
               1000 * k + (d.id % 97) * 1000, k, 0, 'standard_10',
               (1000 * k + (d.id % 97) * 1000) * k
        FROM deal d, generate_series(1, 2) AS k, (SELECT min(id) AS id FROM product) p0
        """,
    ),
    (
        "documents",
        """
        INSERT INTO document (kind, number, state, legal_entity_id, company_id,
                              recipient_name, deal_id, source_id, currency, language,
                              issue_date, due_date, subtotal, tax, total,
                              created_by_automation, tax_rounding, created_at, updated_at)
        SELECT CASE WHEN n % 20 = 0 THEN 'quote' ELSE 'invoice' END,
               CASE WHEN n % 20 = 0 THEN 'QT-' ELSE 'INV-' END || lpad(n::text, 6, '0'),
               CASE WHEN n % 20 = 0 THEN 'sent'
                    ELSE (ARRAY['draft','sent','sent','partially_paid','paid'])[1 + n % 5]
               END,
               le.id, c0.id + (n % :companies), '株式会社スケール' || (1 + n % :companies),
               d0.id + (n % :deals), NULL, 'JPY', 'ja',
               DATE '2026-01-01' + (n % 330), DATE '2026-01-31' + (n % 330),
               10000 * (1 + n % 50), 1000 * (1 + n % 50), 11000 * (1 + n % 50),
               false, 'down', now() - (n || ' minutes')::interval, now()
        FROM generate_series(1, :documents) AS n,
             (SELECT min(id) AS id FROM company) c0,
             (SELECT min(id) AS id FROM deal) d0,
             (SELECT min(id) AS id FROM legal_entity) le
        """,
    ),
    (
        "credit notes",
        """
        INSERT INTO document (kind, number, state, legal_entity_id, company_id,
                              recipient_name, deal_id, source_id, currency, language,
                              issue_date, due_date, subtotal, tax, total,
                              created_by_automation, tax_rounding, created_at, updated_at)
        SELECT 'credit_note', 'CN-' || lpad(row_number() OVER (ORDER BY i.id)::text, 6, '0'),
               'sent', i.legal_entity_id, i.company_id, i.recipient_name, i.deal_id, i.id,
               'JPY', 'ja', i.issue_date + 5, NULL, 1000, 100, 1100, false, 'down', now(),
               now()
        FROM document i
        WHERE i.kind = 'invoice' AND i.state IN ('sent', 'partially_paid') AND i.id % 10 = 3
        """,
    ),
    (
        "document lines",
        """
        INSERT INTO document_line (document_id, position, product_id, name, unit, unit_price,
                                   quantity, discount_percent, tax_rate, amount)
        SELECT d.id, k, NULL::integer, '品目' || k, '式', d.subtotal / 2, 1, 0, 'standard_10',
               d.subtotal / 2
        FROM document d, generate_series(1, 2) AS k
        WHERE d.kind <> 'credit_note'
        UNION ALL
        SELECT d.id, 1, NULL::integer, '値引き', '式', d.subtotal, 1, 0, 'standard_10', d.subtotal
        FROM document d WHERE d.kind = 'credit_note'
        """,
    ),
    (
        "payments",
        """
        INSERT INTO payment (document_id, paid_on, amount, method, created_at)
        SELECT d.id, d.issue_date + 20, CASE WHEN d.state = 'paid' THEN d.total
                                             ELSE d.total / 2 END,
               'bank_transfer', now()
        FROM document d WHERE d.kind = 'invoice' AND d.state IN ('paid', 'partially_paid')
        """,
    ),
    (
        "counters",
        """
        INSERT INTO document_counter (legal_entity_id, kind, last_number)
        SELECT legal_entity_id, kind, count(*) FROM document GROUP BY legal_entity_id, kind
        ON CONFLICT (legal_entity_id, kind) DO UPDATE SET last_number = excluded.last_number
        """,
    ),
    (
        "audit trail",
        """
        INSERT INTO audit_entry (at, user_id, username, document_id, document_number,
                                 line_id, action, field, old_value, new_value, note)
        SELECT now() - ((:audit - n) || ' seconds')::interval, u.id, 'admin', d.id, d.number,
               NULL,
               (ARRAY['create','update','transition','payment','send'])[1 + n % 5],
               CASE WHEN n % 5 = 1 THEN 'notes' WHEN n % 5 = 2 THEN 'state' END,
               CASE WHEN n % 5 = 2 THEN 'draft' END,
               CASE WHEN n % 5 = 2 THEN 'sent' WHEN n % 5 = 1 THEN 'メモ ' || n END, NULL
        FROM generate_series(1, :audit) AS n
        JOIN document d ON d.id = (SELECT min(id) FROM document) + (n % :documents),
             (SELECT id FROM ab_user WHERE username = 'admin') u
        """,
    ),
]


def _legal_entity(conn) -> None:
    if conn.execute(sa.text("SELECT count(*) FROM legal_entity")).scalar():
        return
    conn.execute(
        sa.text(
            "INSERT INTO legal_entity (name, registration_number, postal_code, address, "
            "base_currency, tax_rounding, brand_colour, created_at, updated_at) VALUES "
            "('株式会社ベンチ', 'T1234567890123', '100-0001', '東京都千代田区1-1', 'JPY', "
            "'down', '#1f4e79', now(), now())"
        )
    )


def build(sizes: Sizes, redis_url: str, rebuild: bool = False) -> tuple[str, bool]:
    """The data set's URL, built unless a finished one is there; (url, built now)."""
    url = database_url(sizes)
    if not rebuild and _exists(sizes):
        # the code may have moved on since the build: its migrations and permissions too
        _migrate_and_bootstrap(url, redis_url)
        return url, False
    started = time.perf_counter()
    _recreate(sizes)
    _migrate_and_bootstrap(url, redis_url)
    engine = sa.create_engine(url)
    params = {
        "companies": sizes.companies,
        "deals": sizes.deals,
        "documents": sizes.documents,
        "audit": sizes.audit,
    }
    # The audit trail refuses changes by trigger, not inserts; no per-row rule runs here.
    with engine.begin() as conn:
        _legal_entity(conn)
        for name, sql in _STATEMENTS:
            step = time.perf_counter()
            for part in sql.split(";"):
                if part.strip():
                    conn.execute(sa.text(part), params)
            print(f"  built {name} in {time.perf_counter() - step:.1f} s", flush=True)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE"))
        conn.execute(sa.text("CREATE TABLE bench_scale_done (built_at timestamp DEFAULT now())"))
        conn.execute(sa.text("INSERT INTO bench_scale_done DEFAULT VALUES"))
    engine.dispose()
    print(f"  data set {sizes.database} built in {time.perf_counter() - started:.0f} s")
    return url, True
