"""The one-page editor on the server: a whole draft saved in one transaction, every field
checked with its own sentence (nothing saved on a refusal), contacts of the chosen
customer only, the due date from the customer's or the issuer's terms, the live totals
equal to the saved document's, and N saves of one draft at once ending in one result."""

from __future__ import annotations

import datetime as dt
import random
import re
from decimal import Decimal

import pytest

from app.models.audit import AuditEntry
from app.models.crm import Contact
from app.models.documents import Document, DocumentLine
from app.services.documents import drafts, issuing
from tests.conftest import login
from tests.documents.conftest import line
from tests.documents.test_races import browser, statuses, together


def _csrf(client, url="/invoices/editor/") -> str:
    html = client.get(url).get_data(as_text=True)
    return re.search(r'data-csrf="([^"]+)"', html).group(1)


@pytest.fixture()
def accounting(client, db_session):
    login(client, "accounting")
    client.environ_base["HTTP_X_CSRFTOKEN"] = _csrf(client)
    return client


def _draft(sample, entity, **header):
    data = {
        "legal_entity": entity.id,
        "company": sample["sakura"].id,
        "contact": sample["hanako"].id,
        "recipient_email": "hanako@example.com",
        "currency": "JPY",
        "language": "ja",
        "issue_date": "2026-12-02",
        "lines": [
            {"product": sample["consulting"].id, "quantity": "1"},
            {"name": "保守", "unit_price": "13,870", "quantity": "２", "tax_rate": "standard_10"},
            {"name": "弁当", "unit_price": "１０８０円", "quantity": "3", "tax_rate": "reduced_8"},
            {"name": "", "unit_price": "", "quantity": "1"},  # the grid's empty row
        ],
    }
    data.update(header)
    return data


def test_a_new_invoice_with_its_lines_is_saved_in_one_go_and_lands_on_its_page(
    accounting, db_session, sample, entity
):
    response = accounting.post("/invoices/editor/save", json=_draft(sample, entity))
    assert response.status_code == 200, response.get_json()
    saved = db_session.get(Document, response.get_json()["id"])
    assert response.get_json()["url"] == f"/invoices/show/{saved.id}"
    assert saved.kind == "invoice" and saved.state == "draft"
    assert saved.contact_id == sample["hanako"].id
    assert saved.recipient_name == "株式会社さくら商事"
    assert saved.due_date == dt.date(2026, 12, 2) + dt.timedelta(days=30)
    rows = [(x.position, x.name, x.unit, x.unit_price, x.quantity, x.tax_rate) for x in saved.lines]
    assert rows == [
        (1, "導入支援", "式", Decimal(300000), Decimal(1), "standard_10"),  # the product's
        (2, "保守", None, Decimal(13870), Decimal(2), "standard_10"),
        (3, "弁当", None, Decimal(1080), Decimal(3), "reduced_8"),
    ]
    # 327,740 at 10 % → 32,774; 3,240 at 8 % → 259.2 rounded down to 259
    assert (saved.subtotal, saved.tax, saved.total) == (
        Decimal(330980),
        Decimal(33033),
        Decimal(364013),
    )
    who = {e.username for e in db_session.query(AuditEntry).filter_by(document_id=saved.id)}
    assert who == {"accounting"}


def test_the_due_date_comes_from_the_customer_then_the_issuer(
    accounting, db_session, sample, entity
):
    entity.payment_terms_days = 45
    db_session.commit()
    answer = accounting.get(
        f"/invoices/editor/customer?company={sample['acme'].id}&legal_entity={entity.id}"
        "&issue_date=2026-12-02"
    ).get_json()
    assert answer["due_date"] == "2027-01-16" and answer["terms"] == 45
    sample["acme"].payment_terms_days = 10
    db_session.commit()
    answer = accounting.get(
        f"/invoices/editor/customer?company={sample['acme'].id}&legal_entity={entity.id}"
        "&issue_date=2026-12-02"
    ).get_json()
    assert answer["due_date"] == "2026-12-12"
    # saved without a due date: the same default on the server
    response = accounting.post(
        "/invoices/editor/save",
        json=_draft(sample, entity, company=sample["acme"].id, contact="", due_date=""),
    )
    saved = db_session.get(Document, response.get_json()["id"])
    assert saved.due_date == dt.date(2026, 12, 12)
    # a quote has no due date
    answer = accounting.get(
        f"/quotes/editor/customer?company={sample['acme'].id}&issue_date=2026-12-02"
    ).get_json()
    assert answer["due_date"] == ""


def test_contacts_offered_are_the_customers_own(accounting, db_session, sample, entity):
    db_session.add(Contact(company=sample["acme"], name="John Smith", email="john@acme.test"))
    db_session.commit()
    answer = accounting.get(f"/invoices/editor/customer?company={sample['sakura'].id}").get_json()
    assert [c["name"] for c in answer["contacts"]] == ["佐藤 花子"]
    answer = accounting.get(f"/invoices/editor/customer?company={sample['acme'].id}").get_json()
    assert [c["name"] for c in answer["contacts"]] == ["John Smith"]
    html = accounting.get("/invoices/editor/").get_data(as_text=True)
    assert "__None" not in html


def test_every_wrong_field_is_named_and_nothing_is_saved(accounting, db_session, sample, entity):
    before = db_session.query(Document).count()
    smith = Contact(company=sample["acme"], name="John Smith")
    db_session.add(smith)
    db_session.commit()
    bad = _draft(
        sample,
        entity,
        contact=smith.id,
        recipient_email="not-an-address",
        issue_date="2026-12-10",
        due_date="2026-12-01",
        currency="XXX",
    )
    bad["lines"] = [
        {"name": "A", "unit_price": "abc", "quantity": "1"},
        {"name": "B", "unit_price": "100", "quantity": "0"},
        {"name": "C", "unit_price": "100", "quantity": "1", "discount_percent": "120"},
        {"name": "D", "unit_price": "100", "quantity": "1", "tax_rate": "standard_99"},
        {"product": 987654, "quantity": "1"},
    ]
    response = accounting.post("/invoices/editor/save", json=bad)
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert set(errors) == {
        "contact",
        "recipient_email",
        "due_date",
        "currency",
        "lines.0.unit_price",
        "lines.1.quantity",
        "lines.2.discount_percent",
        "lines.3.tax_rate",
        "lines.4.product",
    }
    assert "John Smith" in errors["contact"] and "株式会社さくら商事" in errors["contact"]
    assert db_session.query(Document).count() == before
    no_customer = accounting.post("/invoices/editor/save", json=_draft(sample, entity, company=""))
    assert no_customer.status_code == 422 and "company" in no_customer.get_json()["errors"]
    assert accounting.post("/invoices/editor/save", json=[1, 2]).status_code == 422
    assert db_session.query(Document).count() == before


def test_product_search_gives_price_unit_and_tax(accounting, sample):
    found = accounting.get("/invoices/editor/products?q=弁当").get_json()
    assert [(p["name"], p["unit"], p["unit_price"], p["tax_rate"]) for p in found] == [
        ("お弁当", "個", "1080", "reduced_8")
    ]
    assert accounting.get("/invoices/editor/products?q=%25").get_json() == []
    companies = accounting.get("/invoices/editor/companies?q=さくら").get_json()
    assert [c["name"] for c in companies] == ["株式会社さくら商事"]


@pytest.mark.parametrize("rounding", ["down", "half_up", "up"])
def test_live_totals_equal_the_saved_documents_totals(
    accounting, db_session, sample, entity, rounding
):
    """The page's totals come from the server's rules: on 40 random drafts, the totals
    the editor shows before saving are the saved document's, per rate and in all."""
    entity.tax_rounding = rounding
    db_session.commit()
    rng = random.Random(f"editor-{rounding}")
    for _ in range(40):
        lines = [
            {
                "name": f"item {i}",
                "unit_price": rng.choice(["13,870", "１０８０円", "99.5", "1", "333", "0"]),
                "quantity": str(rng.choice([1, 2, 3, 7, "1.5", "0.25"])),
                "discount_percent": str(rng.choice([0, 0, 5, "12.5", 33])),
                "tax_rate": rng.choice(["standard_10", "reduced_8", "exempt"]),
            }
            for i in range(rng.randint(1, 6))
        ]
        data = _draft(sample, entity, lines=lines)
        shown = accounting.post("/invoices/editor/totals", json=data).get_json()
        assert shown["errors"] == {}
        saved = db_session.get(
            Document, accounting.post("/invoices/editor/save", json=data).get_json()["id"]
        )
        assert Decimal(shown["gross_plain"]) == saved.total
        shown_rates = {r["code"]: (r["net"], r["tax"]) for r in shown["rates"]}
        page = accounting.get(f"/invoices/show/{saved.id}?_l_=ja").get_data(as_text=True)
        for net, tax in shown_rates.values():
            assert net in page and tax in page


def test_editing_replaces_lines_reorders_and_removes(accounting, db_session, sample, entity):
    doc = issuing.new_document(
        "invoice", sample["sakura"], lines=[line("A"), line("B"), line("C")], commit=True
    )
    first, second, third = (x.id for x in doc.lines)
    version = drafts.version(doc)
    data = _draft(
        sample,
        entity,
        version=version,
        lines=[
            {"id": third, "name": "C", "unit_price": "100000", "quantity": "2"},
            {"name": "D", "unit_price": "500", "quantity": "1"},
            {"id": first, "name": "A", "unit_price": "100000", "quantity": "1"},
        ],
    )
    response = accounting.post(f"/invoices/editor/save/{doc.id}", json=data)
    assert response.status_code == 200, response.get_json()
    db_session.expire_all()
    doc = db_session.get(Document, doc.id)
    assert [(x.position, x.name) for x in doc.lines] == [(1, "C"), (2, "D"), (3, "A")]
    assert doc.lines[0].id == third and doc.lines[2].id == first
    assert db_session.get(DocumentLine, second) is None
    # the same save again is from an older copy now: refused, nothing changes
    again = accounting.post(f"/invoices/editor/save/{doc.id}", json=data)
    assert again.status_code == 409 and "version" in again.get_json()["errors"]
    # a line of another document cannot be pulled in
    other = issuing.new_document("invoice", sample["sakura"], lines=[line("X")])
    data["version"] = drafts.version(doc)
    data["lines"] = [{"id": other.lines[0].id, "name": "X", "unit_price": "1", "quantity": "1"}]
    stolen = accounting.post(f"/invoices/editor/save/{doc.id}", json=data)
    assert stolen.status_code == 422
    db_session.expire_all()
    assert db_session.get(DocumentLine, other.lines[0].id).document_id == other.id


def test_only_a_draft_is_edited_and_only_by_writers(client, db_session, sample, entity, users):
    from app.services.documents import approvals

    doc = issuing.new_document("invoice", sample["sakura"], lines=[line()])
    approvals.submit(doc, users["accounting"])
    login(client, "accounting")
    client.environ_base["HTTP_X_CSRFTOKEN"] = _csrf(client)
    data = _draft(sample, entity, version=drafts.version(doc))
    refused = client.post(f"/invoices/editor/save/{doc.id}", json=data)
    assert refused.status_code == 422 and "state" in refused.get_json()["errors"]
    assert client.get(f"/invoices/editor/{doc.id}").status_code == 302
    client.get("/logout/")
    login(client, "readonly")
    assert client.get("/invoices/editor/").status_code in (302, 403)
    response = client.post("/invoices/editor/save", json=_draft(sample, entity))
    assert response.status_code in (400, 401, 403)
    assert db_session.query(Document).filter_by(state="draft").count() == 0


def test_eight_saves_of_one_draft_at_once_end_in_one_result(
    live_server, db_session, sample, entity
):
    doc = issuing.new_document("invoice", sample["sakura"], lines=[line("A"), line("B")])
    version = drafts.version(doc)
    url = f"{live_server.url}/invoices/editor/save/{doc.id}"
    sessions = []
    for _ in range(8):
        session, _token = browser(live_server, "accounting")
        page = session.get(f"{live_server.url}/invoices/editor/{doc.id}", timeout=60).text
        assert version in page  # the editor loaded this copy
        sessions.append((session, re.search(r'data-csrf="([^"]+)"', page).group(1)))

    drafts_sent = [
        _draft(
            sample,
            entity,
            version=version,
            notes=f"save {n}",
            lines=[{"name": f"line {n}.{i}", "unit_price": "1000"} for i in (1, 2)],
        )
        for n in range(len(sessions))
    ]  # read here: the threads have no app context to load the sample's ids

    def save(session, token, data):
        return session.post(url, json=data, headers={"X-CSRFToken": token}, timeout=60)

    results = together(
        [
            lambda s=s, t=t, d=d: save(s, t, d)
            for (s, t), d in zip(sessions, drafts_sent, strict=True)
        ]
    )
    assert statuses(results) == [200] + [409] * 7
    winner = next(r for r in results if r.status_code == 200)
    db_session.expire_all()
    doc = db_session.get(Document, doc.id)
    n = doc.notes.split()[-1]
    assert winner.json()["id"] == doc.id
    assert [x.name for x in doc.lines] == [f"line {n}.1", f"line {n}.2"]
    assert doc.total == Decimal(2200)
