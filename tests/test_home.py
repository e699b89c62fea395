"""The finance home page: what waits for me, overdue by age, payments, the charts' figures;
each figure agrees with the list it links to; who sees what; a fixed number of statements."""

from __future__ import annotations

import datetime as dt
import html as htmllib
import re
from decimal import Decimal

from app.models.crm import Company
from app.models.sync import SyncRun
from app.services import home
from app.services.documents import issuing, payments
from app.services.documents.lifecycle import today_tokyo
from tests.conftest import login
from tests.documents.conftest import entity as entity
from tests.documents.conftest import line
from tests.test_statement_counts import counting

# days overdue → the bucket it belongs to
AGES = {0: home.NOT_DUE, 1: "1-30", 30: "1-30", 31: "31-60", 60: "31-60", 61: "61-90", 91: "90+"}


def _invoice(session, company, days_overdue: int, price: str, paid: str | None = None):
    today = today_tokyo()
    invoice = issuing.new_document(
        "invoice",
        company,
        lines=[line(price=price, rate="exempt")],
        issue_date=today - dt.timedelta(days=days_overdue + 30),
        due_date=today - dt.timedelta(days=days_overdue),
    )
    invoice.state = "approved"
    session.commit()
    invoice.state = "sent"
    session.commit()
    if paid:
        payments.record_payment(invoice, Decimal(paid), today, user=None)
    return invoice


def _seed(session):
    company = Company(code="H-1", name="ホーム商事")
    session.add(company)
    session.commit()
    for days, price in zip(
        AGES, ("1000", "2000", "3000", "4000", "5000", "6000", "7000"), strict=True
    ):
        _invoice(session, company, days, price)
    _invoice(session, company, 45, "10000", paid="2500")  # 31–60, balance 7,500
    return company


def english(app, username="admin"):
    client = app.test_client()
    login(client, username)
    client.get("/lang/en")
    return client


def test_ageing_buckets_and_payments_come_from_sql(app, db_session, entity):
    _seed(db_session)
    result = home.ageing(db_session)
    assert {k: (f.count, f.amount) for k, per in result.buckets.items() for f in per.values()} == {
        home.NOT_DUE: (1, Decimal(1000)),
        "1-30": (2, Decimal(5000)),
        "31-60": (3, Decimal(4000 + 5000 + 7500)),
        "61-90": (1, Decimal(6000)),
        "90+": (1, Decimal(7000)),
    }
    assert result.overdue_count() == 7
    month = home.payments_this_month(db_session)
    assert (month["JPY"].count, month["JPY"].amount) == (1, Decimal(2500))
    starts, per = home.payments_by_week(db_session)
    assert len(starts) == home.WEEKS_SHOWN and starts[-1] == home.week_start(today_tokyo())
    assert per["JPY"][-1] == Decimal(2500) and sum(per["JPY"][:-1]) == 0


def test_each_overdue_tile_links_to_a_list_of_exactly_its_invoices(app, db_session, entity):
    _seed(db_session)
    client = english(app, "accounting")
    page = client.get("/").get_data(as_text=True)
    for key, expected in (("1-30", 2), ("31-60", 3), ("61-90", 1), ("90+", 1)):
        tile = re.search(
            rf'id="waiting-overdue-{re.escape(key)}"\s*href="([^"]+)">\s*'
            r'<span class="renkei-tile-count">(\d+)<',
            page,
        )
        assert tile, key
        url, count = htmllib.unescape(tile.group(1)), int(tile.group(2))
        assert count == expected, (key, count)
        listed = client.get(url).get_data(as_text=True)
        assert re.search(rf"Record Count:</strong>\s*{expected}\b", listed), (key, url)
    # the ageing table carries the chart's figures
    table = page[page.index('id="figures-ageing"') :]
    row = re.search(r'data-key="31-60" data-currency="JPY">.*?</tr>', table, re.S).group(0)
    assert '<td class="num">3</td>' in row and "16,500" in row


def test_who_sees_what(app, db_session, entity):
    _seed(db_session)
    sales = english(app, "sales").get("/").get_data(as_text=True)
    assert 'id="chart-pipeline"' in sales  # a sales user still sees the pipeline
    assert 'id="waiting-overdue-1-30"' not in sales and 'id="chart-ageing"' not in sales
    assert 'id="waiting-approvals"' not in sales and 'id="waiting-failed-syncs"' not in sales
    approver = english(app, "approver").get("/").get_data(as_text=True)
    assert 'id="waiting-approvals"' in approver and 'id="chart-ageing"' not in approver
    accounting = english(app, "accounting").get("/").get_data(as_text=True)
    for part in ("waiting-overdue-90+", "chart-ageing", "chart-cash", "waiting-failed-syncs"):
        assert f'id="{part}"' in accounting, part
    assert 'id="waiting-approvals"' not in accounting  # no right to approve
    assert "vendor/chartjs/chart.umd.min.js" in accounting


def test_failed_syncs_of_the_week_link_to_the_history(app, db_session, entity):
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    db_session.add_all(
        [
            SyncRun(kind="refresh_statuses", status="failed", queued_at=now),
            SyncRun(
                kind="refresh_statuses", status="failed", queued_at=now - dt.timedelta(days=30)
            ),
            SyncRun(kind="refresh_statuses", status="finished", queued_at=now),
        ]
    )
    db_session.commit()
    assert home.failed_syncs(db_session) == 1
    client = english(app)
    page = client.get("/").get_data(as_text=True)
    tile = re.search(
        r'id="waiting-failed-syncs"\s*href="([^"]+)">\s*<span class="renkei-tile-count">(\d+)<',
        page,
    )
    assert tile and tile.group(2) == "1"
    listed = client.get(htmllib.unescape(tile.group(1))).get_data(as_text=True)
    assert re.search(r"Record Count:</strong>\s*1\b", listed)


def test_a_registered_waiting_source_is_shown_to_those_with_its_right(app, db_session, entity):
    source = home.WaitingSource(
        "test-source",
        "Reminders due",
        lambda s, u, t: 3,
        lambda: "/invoices/list/",
        ("can_record_payment", "Document"),
    )
    home.WAITING_SOURCES.append(source)
    try:
        page = english(app, "accounting").get("/").get_data(as_text=True)
        assert re.search(
            r'id="waiting-test-source"\s*href="/invoices/list/">\s*'
            r'<span class="renkei-tile-count">3<',
            page,
        )
        assert 'id="waiting-test-source"' not in english(app, "sales").get("/").get_data(
            as_text=True
        )
    finally:
        home.WAITING_SOURCES.remove(source)


def test_the_home_page_costs_a_fixed_number_of_statements(app, db_session, entity):
    client = english(app)
    company = _seed(db_session)
    _invoice(db_session, company, 7, "99")  # one of each kind of row, then many more
    client.get("/")
    with counting() as few:
        assert client.get("/").status_code == 200
    for n in range(20):
        _invoice(db_session, company, n * 7, str(100 + n), paid="10" if n % 2 else None)
    client.get("/")  # warm again: the commits above expired what the session had loaded
    with counting() as many:
        assert client.get("/").status_code == 200
    print(f"\nhome page: {len(few)} statements with 1 invoice, {len(many)} with 21+")
    assert len(many) == len(few), (len(few), len(many))
    # 7 figures, the user and their rights, and the reminders due today (the preview's
    # own plan: open invoices in the rules' window, rules, holds, steps taken, balances)
    assert len(many) <= 15, many
