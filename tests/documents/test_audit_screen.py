"""The audit trail screen: searchable, shown, downloadable, exported per fiscal year
(April to March in Tokyo), and with no route that could add, change or delete a row."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import secrets

import sqlalchemy as sa

from app.models.audit import AuditEntry
from app.services.documents import issuing
from app.services.documents.lifecycle import today_tokyo
from tests.conftest import login
from tests.documents.conftest import line


def _rows(response):
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def _insert(db_session, marker, at):
    db_session.execute(
        AuditEntry.__table__.insert(),
        [{"at": at, "username": "fy-test", "document_number": marker, "action": "update"}],
    )
    db_session.commit()


def test_fiscal_year_export_runs_april_to_march_in_tokyo(admin_client, db_session):
    marker = f"FY-{secrets.token_hex(3)}"
    # naive UTC instants; Tokyo is UTC+9
    times = {
        "before": dt.datetime(2026, 3, 31, 14, 59, 59),  # 2026-03-31 23:59:59 JST: FY2025
        "first": dt.datetime(2026, 3, 31, 15, 0, 0),  # 2026-04-01 00:00 JST: FY2026
        "last": dt.datetime(2027, 3, 31, 14, 59, 59),  # 2027-03-31 23:59:59 JST: FY2026
        "after": dt.datetime(2027, 3, 31, 15, 0, 0),  # 2027-04-01 00:00 JST: FY2027
    }
    for name, at in times.items():
        _insert(db_session, f"{marker}-{name}", at)
    response = admin_client.get("/audittrail/export?fy=2026")
    assert response.status_code == 200
    assert "audit-trail-FY2026.csv" in response.headers["Content-Disposition"]
    rows = _rows(response)
    mine = [row for row in rows[1:] if row[1].startswith(marker)]
    assert [row[1] for row in mine] == [f"{marker}-first", f"{marker}-last"]
    assert mine[0][0] == "2026-04-01T00:00:00+09:00"
    assert mine[1][0] == "2027-03-31T23:59:59+09:00"
    assert len(rows[0]) == len(mine[0])  # a header over every column
    previous = _rows(admin_client.get("/audittrail/export?fy=2025"))
    assert [r[1] for r in previous if r[1].startswith(marker)] == [f"{marker}-before"]
    bad = admin_client.get("/audittrail/export?fy=soon")
    assert bad.status_code == 302


def test_search_show_and_csv(client, sample, entity, users, db_session):
    invoice = issuing.new_document(
        "invoice", sample["sakura"], user=users["accounting"], lines=[line()]
    )
    login(client, "accounting")
    listed = client.get(f"/audittrail/list/?_flt_0_document_number={invoice.number}")
    html = listed.get_data(as_text=True)
    assert listed.status_code == 200 and invoice.number in html and "accounting" in html
    entry = db_session.query(AuditEntry).filter_by(document_id=invoice.id, field="total").one()
    shown = client.get(f"/audittrail/show/{entry.id}").get_data(as_text=True)
    assert invoice.number in shown and "110,000" in shown  # money in words, not 110000
    today = today_tokyo().isoformat()  # the filter takes Tokyo days
    query = (
        f"_flt_0_document_number={invoice.number}&_flt_0_action=create"
        f"&_flt_0_username=accounting&_flt_0_at={today}&_flt_1_at={today}"
    )
    rows = _rows(client.get(f"/audittrail/csv?{query}"))
    assert len(rows) > 5 and {r[1] for r in rows[1:]} == {invoice.number}
    assert {r[3] for r in rows[1:]} == {"create"}
    assert _rows(client.get(f"/audittrail/csv?{query}&_flt_0_field=total"))[1][6] == "110000"


def test_no_route_alters_the_trail(client, sample, entity, db_session):
    invoice = issuing.new_document("invoice", sample["sakura"], lines=[line()])
    entry = db_session.query(AuditEntry).filter_by(document_id=invoice.id).first()
    before = db_session.execute(sa.select(AuditEntry.__table__)).all()
    login(client, "admin")
    for url in (
        "/audittrail/add",
        f"/audittrail/edit/{entry.id}",
        f"/audittrail/delete/{entry.id}",
    ):
        assert client.get(url).status_code == 404
        assert client.post(url, data={}).status_code in (404, 405)
    assert client.post("/audittrail/action_post", data={"action": "x"}).status_code == 404
    assert db_session.execute(sa.select(AuditEntry.__table__)).all() == before


def _trail(client, invoice) -> str:
    client.get("/lang/en")
    html = client.get(f"/invoices/show/{invoice.id}").get_data(as_text=True)
    return html[html.index('id="audit-trail"') :]


def test_the_document_page_shows_one_entry_per_change(admin_client, sample, entity, users):
    from app.services.documents import approvals, payments

    invoice = issuing.new_document(
        "invoice", sample["sakura"], user=users["accounting"], lines=[line()]
    )
    trail = _trail(admin_client, invoice)
    # Creating an invoice is one change: one folded entry, its fields inside.
    assert trail.count('class="list-group-item audit-change"') == 1
    assert "<details>" in trail and "<details open" not in trail
    assert "Created · lines: 1 · total" in trail and "110,000" in trail
    assert trail.count('class="audit-row"') >= 10  # the per-field rows, folded
    assert f"_flt_3_document_number={invoice.number}" in trail  # the full trail, this one

    approvals.submit(invoice, users["accounting"])
    lifecycle_move(invoice, "sent", users["accounting"])
    payments.record_payment(
        invoice, invoice.total - 10_000, today_tokyo(), user=users["accounting"]
    )
    trail = _trail(admin_client, invoice)
    assert "State: Approved → Sent" in trail
    assert re.search(r"Payment of .100,000 \(Bank transfer\)", trail)
    assert "State: Sent → Partially paid" in trail
    for raw in ("partially_paid", "bank_transfer", "template_id", ">100000<", "→ sent"):
        assert raw not in trail, raw
    full = admin_client.get(f"/audittrail/list/?_flt_3_document_number={invoice.number}")
    assert full.get_data(as_text=True).count(invoice.number) >= 10  # every field, on its page


def lifecycle_move(document, state, user):
    from app.extensions import db
    from app.services.actor import acting_as
    from app.services.documents import lifecycle

    with acting_as(user):
        lifecycle.move(document, state)
        db.session.commit()


def test_approval_reasons_read_as_words_on_the_trail(admin_client, sample, entity, users, rules):
    from app.services.documents import approvals

    doc = issuing.new_document("invoice", sample["sakura"], lines=[line(discount="30")])
    approvals.submit(doc, users["accounting"])
    html = admin_client.get(
        f"/audittrail/list/?_flt_0_document_number={doc.number}&_flt_0_field=reasons"
    ).get_data(as_text=True)
    assert "値引き" in html and "30%" in html
    assert '"kind"' not in html and "&#34;kind&#34;" not in html  # not the stored JSON
