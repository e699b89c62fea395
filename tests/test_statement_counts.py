"""A fixed number of SQL statements per page, whatever the page size (no N+1).

Each main page (deal list and page, invoice list and page, receivables, company list,
audit trail) is requested with a full page of 10 rows, then again after more rows were
added, with a full page of 50; the statements sent to the database are counted with a
``before_cursor_execute`` listener. A count that grows with the rows shown is an N+1.
Permission checks for the signed-in user cost one statement per request.
"""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from decimal import Decimal

from sqlalchemy import event

from app.extensions import db
from app.models.audit import AuditEntry
from app.models.crm import Company, Deal, DealLine, DealType, Product
from app.services.documents import issuing, payments
from app.services.documents.lifecycle import today_tokyo
from tests.documents.conftest import entity as entity
from tests.documents.conftest import line

SMALL, LARGE = 10, 50


@contextmanager
def counting():
    """Collect every statement sent to the database inside the block."""
    seen: list[str] = []

    def listen(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", listen)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", listen)


def _view_name(app, route_base: str) -> str:
    view = next(v for v in app.appbuilder.baseviews if getattr(v, "route_base", "") == route_base)
    return type(view).__name__


def _send(document, session):
    document.state = "approved"
    session.commit()
    document.state = "sent"
    session.commit()
    return document


def _add_rows(session, start: int, stop: int, deal_type, product) -> None:
    """Companies ``start``…``stop`` with a deal (two lines) and a paid-in-part invoice each;
    every third invoice has an issued credit note."""
    today = today_tokyo()
    for n in range(start, stop):
        company = Company(code=f"N-{n:03}", name=f"会社{n:03}")
        deal = Deal(
            title=f"案件{n:03}",
            company=company,
            deal_type=deal_type,
            stage="proposal",
            currency="JPY",
            expected_close_date=dt.date(2027, 1, 1),
        )
        deal.lines = [
            DealLine(position=1, product=product, quantity=Decimal(1)),
            DealLine(position=2, product=product, quantity=Decimal(2)),
        ]
        session.add_all([company, deal])
        session.commit()
        invoice = issuing.new_document(
            "invoice",
            company,
            lines=[line(price=str(1000 + n))],
            issue_date=today - dt.timedelta(days=40),
            due_date=today - dt.timedelta(days=10),
        )
        _send(invoice, session)
        payments.record_payment(invoice, Decimal(100), today, user=None)
        if n % 3 == 0:
            credit = issuing.credit_note_for(invoice)
            credit.lines[0].unit_price = Decimal(10)
            session.commit()
            _send(credit, session)


def _document_with_lines(session, company, count: int, deal=None):
    """An invoice with ``count`` lines and ``count // 5`` payments."""
    today = today_tokyo()
    invoice = issuing.new_document(
        "invoice",
        company,
        lines=[line(name=f"行{i}", price=str(100 + i)) for i in range(count)],
        issue_date=today,
        due_date=today + dt.timedelta(days=30),
        deal=deal,
    )
    _send(invoice, session)
    for _ in range(count // 5):
        payments.record_payment(invoice, Decimal(1), today, user=None)
    return invoice


def _deal_with_lines(session, company, deal_type, product, count: int):
    """A deal with ``count`` lines and ``count // 5`` invoices (paid in part, one credited)."""
    deal = Deal(
        title=f"明細{count}件",
        company=company,
        deal_type=deal_type,
        stage="proposal",
        currency="JPY",
    )
    deal.lines = [
        DealLine(position=i + 1, product=product, quantity=Decimal(1)) for i in range(count)
    ]
    session.add(deal)
    session.commit()
    for n in range(count // 5):
        invoice = _document_with_lines(session, company, 10, deal=deal)
        if n == 0:
            credit = issuing.credit_note_for(invoice)
            credit.lines[0].unit_price = Decimal(10)
            session.commit()
            _send(credit, session)
    return deal


def _measure(app, client, pages: dict[str, str]) -> dict[str, tuple[int, int]]:
    """Statements per page: (all, permission look-ups)."""
    figures = {}
    for name, url in pages.items():
        client.get(url)  # warm: anything cached per process is not what is measured
        with counting() as seen:
            response = client.get(url)
        assert response.status_code == 200, (name, url, response.status_code)
        rights = sum(1 for s in seen if "ab_permission_view" in s)
        figures[name] = (len(seen), rights)
    return figures


def test_statements_per_page_do_not_grow_with_the_page_size(
    app, db_session, entity, admin_client, capsys
):
    deal_type = DealType(code="count", name="計測")
    product = Product(
        code="P-C", name="計測品", unit="式", unit_price=Decimal(1000), tax_rate="standard_10"
    )
    db_session.add_all([deal_type, product])
    db_session.commit()
    deals_view = _view_name(app, "/dealview")
    invoices_view = _view_name(app, "/invoices")
    companies_view = _view_name(app, "/companyview")

    def pages(size, deal, invoice):
        return {
            "deal list": f"/dealview/list/?psize_{deals_view}={size}",
            "deal page": f"/dealview/show/{deal.id}",
            "invoice list": f"/invoices/list/?psize_{invoices_view}={size}",
            "invoice page": f"/invoices/show/{invoice.id}",
            "receivables": "/receivables/",
            "company list": f"/companyview/list/?psize_{companies_view}={size}",
            "audit list": f"/audittrail/list/?psize_AuditTrailView={size}",
        }

    _add_rows(db_session, 0, SMALL + 1, deal_type, product)
    first = db_session.query(Company).filter_by(code="N-000").one()
    small = _measure(
        app,
        admin_client,
        pages(
            SMALL,
            _deal_with_lines(db_session, first, deal_type, product, SMALL),
            _document_with_lines(db_session, first, SMALL),
        ),
    )
    _add_rows(db_session, SMALL + 1, LARGE + 1, deal_type, product)
    large = _measure(
        app,
        admin_client,
        pages(
            LARGE,
            _deal_with_lines(db_session, first, deal_type, product, LARGE),
            _document_with_lines(db_session, first, LARGE),
        ),
    )
    with capsys.disabled():
        print("\npage: statements at 10 rows / at 50 rows (of which permission look-ups)")
        for name in small:
            print(
                f"  {name}: {small[name][0]} / {large[name][0]} ({small[name][1]}/{large[name][1]})"
            )
    grown = {
        name: (small[name][0], large[name][0]) for name in small if large[name][0] > small[name][0]
    }
    assert not grown, f"statements grow with the rows shown (N+1): {grown}"
    assert all(rights <= 1 for _, rights in small.values()), small
    assert all(rights <= 1 for _, rights in large.values()), large


def test_the_audit_list_counts_at_most_its_cap(app, db_session, entity, admin_client, monkeypatch):
    """Over a long trail the pager's count stops at the cap, and the page says so."""
    from app.views.audit import AuditTrailView

    view = next(v for v in app.appbuilder.baseviews if isinstance(v, AuditTrailView))
    company = Company(code="CAP-1", name="上限")
    db_session.add(company)
    db_session.commit()
    _document_with_lines(db_session, company, 3)  # a dozen entries in the trail
    total = db_session.query(AuditEntry).count()
    assert total > 5
    url = "/audittrail/list/?psize_AuditTrailView=2&_l_=en"
    # a cap above the trail (other tests of a run leave theirs: it is append-only)
    monkeypatch.setattr(view.datamodel, "count_cap", total + 1)
    html = admin_client.get(url).get_data(as_text=True)
    assert "audit-count-capped" not in html
    monkeypatch.setattr(view.datamodel, "count_cap", 5)
    with counting() as seen:
        html = admin_client.get(url).get_data(as_text=True)
    assert "More than 5 entries match" in html
    counts = [s for s in seen if "count(*)" in s.lower() and "audit_entry" in s]
    assert len(counts) == 1 and "LIMIT" in counts[0].upper(), counts
    # the pager offers the capped pages only: 5 rows at 2 a page
    assert "page_AuditTrailView=2" in html and "page_AuditTrailView=3" not in html
