"""Document screens for each profile: who may approve, edit, pay and see; the edit lock of
a sent document; the list filters (state, overdue, amount, company); and forms that keep
what was typed when a rule refuses the save."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from flask_babel import refresh

from app.models.documents import Document, LegalEntity
from app.services.documents import approvals, issuing, payments
from app.services.documents.lifecycle import today_tokyo
from tests.conftest import csrf_token, login
from tests.documents.conftest import line

BIG = [line(price="2000000")]  # ¥2,000,000 + tax: the ≥ ¥1,000,000 rule asks for approval


@pytest.fixture()
def as_user(app, db_session):
    """A signed-in test client per login (English pages, so the tests can read them)."""
    clients = {}

    def get(username):
        if username not in clients:
            client = app.test_client()
            login(client, username)
            clients[username] = client
        refresh()
        return clients[username]

    return get


def post(client, url, data=None, page="/resetmypassword/form"):
    body = {"csrf_token": csrf_token(client, page), **(data or {})}
    return client.post(url, data=body)


def page(client, url):
    response = client.get(url + ("&" if "?" in url else "?") + "_l_=en")
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def sent(document, db_session):
    """Move a document to "sent" the way the send job does (through the lifecycle)."""
    if document.state == "draft":
        approvals.submit(document, None)
    document.state = "sent"
    db_session.commit()
    return document


def test_sales_cannot_approve(as_user, sample, entity, rules, users, db_session):
    invoice = issuing.new_document("invoice", sample["sakura"], user=users["sales"], lines=BIG)
    approvals.submit(invoice, users["accounting"])
    sales = as_user("sales")
    html = page(sales, f"/invoices/show/{invoice.id}")
    assert 'id="btn-approve"' not in html and "Pending approval" in html
    response = post(sales, f"/invoices/act/{invoice.id}", {"action": "approve"})
    assert response.status_code == 302
    db_session.expire_all()
    assert db_session.get(Document, invoice.id).state == "pending_approval"
    assert post(sales, f"/invoices/edit/{invoice.id}", {"terms": "x"}).status_code == 403
    assert sales.get("/approvals/list/").status_code == 403


def test_approver_approves_but_cannot_edit(as_user, sample, entity, rules, users, db_session):
    invoice = issuing.new_document("invoice", sample["sakura"], user=users["sales"], lines=BIG)
    approvals.submit(invoice, users["sales"])
    approver = as_user("approver")
    queue = page(approver, "/approvals/list/")
    # the rule that asked, by name, and why, in the reader's language (English here)
    assert invoice.number in queue and "高額: the total" in queue
    html = page(approver, f"/invoices/show/{invoice.id}")
    assert 'id="btn-approve"' in html and 'id="btn-edit"' not in html
    assert approver.get(f"/invoices/edit/{invoice.id}").status_code == 403
    assert approver.get(f"/invoicelines/add?_flt_0_document={invoice.id}").status_code == 403
    done = post(
        approver,
        f"/invoices/act/{invoice.id}",
        {"action": "approve", "next": "/approvals/list/"},
    )
    assert done.status_code == 302 and done.headers["Location"].endswith("/approvals/list/")
    db_session.expire_all()
    decided = db_session.get(Document, invoice.id)
    assert decided.state == "approved"
    assert decided.approvals[0].decided_by.username == "approver"
    history = page(approver, f"/invoices/show/{invoice.id}")
    assert re.search(r"Approved.*approver", history, re.S)


def test_a_rejection_needs_a_reason_and_the_requester_sees_it(
    as_user, sample, entity, rules, users, db_session
):
    invoice = issuing.new_document(
        "invoice", sample["sakura"], user=users["accounting"], lines=[line(discount="30")]
    )
    approvals.submit(invoice, users["accounting"])
    approver = as_user("approver")
    post(approver, f"/invoices/act/{invoice.id}", {"action": "reject", "comment": ""})
    db_session.expire_all()
    assert db_session.get(Document, invoice.id).state == "pending_approval"
    reason = "値引きは15%までにしてください"
    post(approver, f"/invoices/act/{invoice.id}", {"action": "reject", "comment": reason})
    db_session.expire_all()
    assert db_session.get(Document, invoice.id).state == "draft"
    html = page(as_user("accounting"), f"/invoices/show/{invoice.id}")
    rejection = re.search(r'id="rejection".*?</div>', html, re.S).group(0)
    assert reason in rejection and "approver" in rejection
    assert 'id="btn-submit"' in html and 'id="btn-edit"' in html


def test_nobody_edits_a_sent_document(as_user, sample, entity, db_session):
    invoice = sent(issuing.new_document("invoice", sample["sakura"], lines=[line()]), db_session)
    for username in ("admin", "accounting"):
        client = as_user(username)
        html = page(client, f"/invoices/show/{invoice.id}")
        assert 'id="btn-edit"' not in html
        edit = f"/invoices/edit/{invoice.id}"
        form = {
            "legal_entity": entity.id,
            "company": sample["sakura"].id,
            "recipient_name": "別の宛名",
            "currency": "JPY",
            "language": "ja",
            "issue_date": invoice.issue_date.isoformat(),
        }
        response = post(client, edit + "?_l_=en", form, page=edit)
        assert response.status_code == 200  # the form again, with the rule's sentence
        text = response.get_data(as_text=True)
        assert "can no longer be edited" in text
        added = post(
            client,
            f"/invoicelines/add?_flt_0_document={invoice.id}&_l_=en",
            {"name": "追加", "unit_price": "1", "quantity": "1", "discount_percent": "0"},
            page=f"/invoicelines/add?_flt_0_document={invoice.id}",
        )
        assert "can no longer be edited" in added.get_data(as_text=True)
    db_session.expire_all()
    kept = db_session.get(Document, invoice.id)
    assert kept.recipient_name == sample["sakura"].name and len(kept.lines) == 1


def test_a_draft_form_keeps_what_was_typed_when_a_rule_refuses(as_user, sample, entity):
    invoice = issuing.new_document("invoice", sample["sakura"], lines=[line()])
    client = as_user("accounting")
    edit = f"/invoices/edit/{invoice.id}"
    form = {
        "legal_entity": entity.id,
        "company": sample["sakura"].id,
        "recipient_name": "入力した宛名",
        "currency": "JPY",
        "language": "ja",
        "issue_date": "2026-11-10",
        "due_date": "2026-11-01",
    }
    html = post(client, edit + "?_l_=en", form, page=edit).get_data(as_text=True)
    assert "The due date cannot be before the issue date." in html
    assert "入力した宛名" in html


def test_readonly_sees_lists_but_changes_nothing(as_user, sample, entity, db_session):
    invoice = sent(issuing.new_document("invoice", sample["sakura"], lines=[line()]), db_session)
    readonly = as_user("readonly")
    for url in ("/quotes/list/", "/invoices/list/", "/deliverynotes/list/", "/creditnotes/list/"):
        page(readonly, url)
    html = page(readonly, f"/invoices/show/{invoice.id}")
    assert 'id="payment-form"' not in html and 'id="btn-void"' not in html
    assert 'id="btn-send"' not in html
    assert readonly.get("/invoices/add").status_code == 403
    post(readonly, f"/invoices/payment/{invoice.id}", {"amount": "100"})
    post(readonly, f"/invoices/act/{invoice.id}", {"action": "void"})
    db_session.expire_all()
    assert db_session.get(Document, invoice.id).state == "sent"
    assert not db_session.get(Document, invoice.id).payments
    assert page(readonly, "/receivables/")
    assert readonly.get("/audittrail/list/").status_code == 403


def test_accounting_records_a_partial_payment(as_user, sample, entity, db_session):
    invoice = sent(issuing.new_document("invoice", sample["sakura"], lines=[line()]), db_session)
    client = as_user("accounting")
    assert 'id="payment-form"' in page(client, f"/invoices/show/{invoice.id}")
    post(client, f"/invoices/payment/{invoice.id}", {"amount": "50000", "paid_on": "2026-11-20"})
    html = page(client, f"/invoices/show/{invoice.id}")
    assert "Partially paid" in html and "¥60,000" in html  # 110,000 − 50,000
    refused = post(client, f"/invoices/payment/{invoice.id}", {"amount": "999999"})
    assert refused.status_code == 302
    db_session.expire_all()
    assert payments.balance(db_session.get(Document, invoice.id)) == Decimal(60000)


def _numbers(html):
    return set(re.findall(r"(?:INV|QT)-\d{6}", html))


def test_list_filters(as_user, sample, entity, db_session):
    today = today_tokyo()
    old = today - dt.timedelta(days=60)
    make = issuing.new_document
    draft = make("invoice", sample["sakura"], lines=[line(price="1000")])
    small = sent(make("invoice", sample["acme"], lines=[line(price="5000")]), db_session)
    overdue = sent(
        make(
            "invoice",
            sample["sakura"],
            lines=[line(price="300000")],
            issue_date=old,
            due_date=old + dt.timedelta(days=30),
        ),
        db_session,
    )
    quote = make("quote", sample["sakura"], lines=[line(price="1000")])
    client = as_user("accounting")

    def listed(query):
        return _numbers(page(client, "/invoices/list/?" + query))

    assert listed("") == {draft.number, small.number, overdue.number}  # no quote
    assert quote.number not in listed("")
    assert listed("_flt_0_state=draft") == {draft.number}
    assert listed("_flt_0_state=overdue") == {overdue.number}
    assert listed("_flt_0_state=open") == {small.number, overdue.number}
    # amount range: total from 5,000 to 10,000 (tax included: 5,500)
    assert listed("_flt_0_total=5000&_flt_1_total=10000") == {small.number}
    assert listed("_flt_0_total=not-a-number") == {draft.number, small.number, overdue.number}
    assert listed(f"_flt_0_company={sample['acme'].id}") == {small.number}
    due_to = (old + dt.timedelta(days=31)).isoformat()
    assert listed(f"_flt_1_due_date={due_to}") == {overdue.number}
    html = page(client, "/invoices/list/?_flt_0_state=overdue")
    assert "Overdue" in html
    csv = client.get("/invoices/csv?_flt_0_state=overdue").get_data(as_text=True)
    assert overdue.number in csv and small.number not in csv


def test_new_invoice_from_the_deal_page(as_user, sample, entity, db_session):
    deal = sample["with_lines"]
    accounting = as_user("accounting")
    assert 'id="btn-new-invoice-from-deal"' in page(accounting, f"/dealview/show/{deal.id}")
    response = post(accounting, f"/invoices/new_from_deal/{deal.id}")
    assert response.status_code == 302 and "/invoices/show/" in response.headers["Location"]
    made = db_session.query(Document).filter_by(deal_id=deal.id, kind="invoice").one()
    assert len(made.lines) == 2
    sales = as_user("sales")
    html = page(sales, f"/dealview/show/{deal.id}")
    assert 'id="btn-new-invoice-from-deal"' not in html
    assert 'id="btn-new-quote-from-deal"' in html
    post(sales, f"/invoices/new_from_deal/{deal.id}")
    assert db_session.query(Document).filter_by(deal_id=deal.id, kind="invoice").count() == 1


def test_pdf_download_and_bulk_zip(as_user, sample, entity, db_session):
    invoice = issuing.new_document("invoice", sample["sakura"], lines=[line()])
    other = issuing.new_document("invoice", sample["acme"], lines=[line()])
    client = as_user("readonly")
    pdf = client.get(f"/invoices/pdf/{invoice.id}")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    zipped = post(
        client,
        "/invoices/action_post",
        {"action": "pdf_zip", "rowid": [str(invoice.id), str(other.id)]},
    )
    assert zipped.status_code == 200 and zipped.mimetype == "application/zip"


def test_legal_entity_registration_number_is_checked_on_the_field(as_user, db_session):
    client = as_user("admin")
    form = {
        "name": "株式会社テスト",
        "registration_number": "T1234567890123",
        "base_currency": "JPY",
        "tax_rounding": "down",
        "brand_colour": "#112233",
    }
    response = post(client, "/legalentities/add?_l_=en", form, page="/legalentities/add")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "check digit is wrong" in html
    assert "T1234567890123" in html  # what was typed is kept
    assert db_session.query(LegalEntity).count() == 0
    assert as_user("accounting").get("/legalentities/add").status_code == 403
    assert as_user("accounting").get("/legalentities/list/").status_code == 200


def test_a_line_from_the_product_master_fills_price_tax_and_totals(
    as_user, sample, entity, db_session
):
    invoice = issuing.new_document("invoice", sample["sakura"], lines=[line(price="1000")])
    client = as_user("accounting")
    add = f"/invoicelines/add?_flt_0_document={invoice.id}"
    response = post(
        client,
        add,
        {"product": sample["lunch"].id, "quantity": "10", "discount_percent": "0"},
        page=add,
    )
    assert response.status_code == 302
    db_session.expire_all()
    document = db_session.get(Document, invoice.id)
    added = max(document.lines, key=lambda row: row.id)  # positions may tie: by id
    assert (added.name, added.unit_price, added.tax_rate) == ("お弁当", 1080, "reduced_8")
    assert added.position == 2  # after the first line (numbers start at 1: max + 1)
    # 1,000 at 10 % + 10,800 at 8 %: 1,100 + 11,664
    assert document.total == Decimal(12764)


def test_lines_offer_add_edit_and_delete_only_on_a_draft(as_user, sample, entity, db_session):
    draft = issuing.new_document("invoice", sample["sakura"], lines=[line()])
    done = sent(issuing.new_document("invoice", sample["acme"], lines=[line()]), db_session)
    accounting = as_user("accounting")
    html = page(accounting, f"/invoices/show/{draft.id}")
    assert f"/invoicelines/add?_flt_0_document={draft.id}" in html
    assert f"/invoicelines/edit/{draft.lines[0].id}" in html
    assert f"/invoicelines/delete/{draft.lines[0].id}" in html
    html = page(accounting, f"/invoices/show/{done.id}")
    assert f"/invoicelines/show/{done.lines[0].id}" in html  # the line is still shown
    assert "/invoicelines/add" not in html
    assert "/invoicelines/edit/" not in html and "/invoicelines/delete/" not in html
    # A reader who may not write invoices gets no buttons on a draft either.
    html = page(as_user("readonly"), f"/invoices/show/{draft.id}")
    assert "/invoicelines/add" not in html and "/invoicelines/edit/" not in html
    # The lists: edit on the draft's row only; the lines list the same.
    listed = page(accounting, "/invoices/list/")
    assert f"/invoices/edit/{draft.id}" in listed and f"/invoices/edit/{done.id}" not in listed
    assert "/invoices/add" in listed
    lines = page(accounting, "/invoicelines/list/")
    assert f"/invoicelines/edit/{draft.lines[0].id}" in lines
    assert f"/invoicelines/edit/{done.lines[0].id}" not in lines
