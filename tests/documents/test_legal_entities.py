"""Several legal entities and currencies (issue 17, B8): each entity numbers on its own,
gaplessly, under races; a document in another currency freezes its exchange rate when it
leaves draft; a connection refuses another entity's documents in words."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import requests
import sqlalchemy as sa
from flask_babel import force_locale

from app.models.connection import Connection
from app.models.documents import Document, LegalEntity
from app.models.exchange_rates import ExchangeRate
from app.services.documents import approvals, issuing
from app.services.documents.lifecycle import today_tokyo
from app.services.errors import InvalidInput
from app.services.exchange_rates import base_amount, conversion_of
from tests.conftest import csrf_token
from tests.documents.conftest import line
from tests.documents.test_races import api_posts, bearer, statuses, together


@pytest.fixture()
def us(db_session, entity):
    """A second entity: the US subsidiary, prefix US-, base currency USD."""
    subsidiary = LegalEntity(
        name="Renkei Inc.", number_prefix="US-", base_currency="USD", tax_rounding="half_up"
    )
    db_session.add(subsidiary)
    db_session.commit()
    return subsidiary


def _wipe_rates_and_connections(session) -> None:
    session.rollback()
    for table in ("external_document", "sync_run", "connection", "exchange_rate"):
        session.execute(sa.text(f"DELETE FROM {table}"))
    session.commit()


@pytest.fixture()
def clean(db_session):
    yield
    _wipe_rates_and_connections(db_session)


def _digits(number: str) -> int:
    return int(number.rsplit("-", 1)[1])


def test_two_entities_number_independently_and_gaplessly(db_session, sample, entity, us):
    made = []
    for i in range(6):
        issuer = entity if i % 2 else us
        made.append(
            issuing.new_document("invoice", sample["acme"], legal_entity=issuer, lines=[line()])
        )
    ours = [d.number for d in made if d.legal_entity is entity]
    theirs = [d.number for d in made if d.legal_entity is us]
    assert theirs == ["US-INV-000001", "US-INV-000002", "US-INV-000003"]
    assert all(n.startswith("INV-") for n in ours)
    first = _digits(ours[0])
    assert [_digits(n) for n in ours] == [first, first + 1, first + 2]
    # Another kind has its own counter per entity as well.
    quote = issuing.new_document("quote", sample["acme"], legal_entity=us, lines=[line()])
    assert quote.number.startswith("US-") and _digits(quote.number) == 1


def test_a_rolled_back_document_gives_its_number_back(db_session, sample, us):
    issuing.new_document("invoice", sample["acme"], legal_entity=us, lines=[line()], commit=False)
    db_session.rollback()
    again = issuing.new_document("invoice", sample["acme"], legal_entity=us, lines=[line()])
    assert again.number == "US-INV-000001"


def test_n_concurrent_creates_number_consecutively_per_entity(
    db_session, live_server, sample, entity, us
):
    """Twelve API creates at once, six per entity: consecutive numbers per entity, none twice."""
    headers = bearer(live_server, "accounting")
    calls = []
    for issuer in (entity, us) * 6:
        body = {
            "company": sample["acme"].id,
            "legal_entity": issuer.id,
            "recipient_name": "Acme",
            "currency": issuer.base_currency,
        }
        calls.append(body)
    results = together(
        [
            (
                lambda body=body: requests.post(
                    f"{live_server.url}/api/v1/invoice/", json=body, headers=headers, timeout=60
                )
            )
            for body in calls
        ]
    )
    assert statuses(results) == [201] * 12, [getattr(r, "text", r) for r in results]
    db_session.expire_all()
    for issuer, prefix in ((entity, "INV-"), (us, "US-INV-")):
        numbers = sorted(
            db_session.scalars(
                sa.select(Document.number).where(Document.legal_entity_id == issuer.id)
            )
        )
        assert len(numbers) == len(set(numbers)) == 6
        assert all(n.startswith(prefix) for n in numbers)
        digits = sorted(_digits(n) for n in numbers)
        assert digits == list(range(digits[0], digits[0] + 6))
    assert sorted(_digits(n) for n in numbers) == [1, 2, 3, 4, 5, 6]  # the US ones


def test_n_concurrent_submits_keep_numbers_and_freeze_once(
    db_session, live_server, sample, entity, us, clean
):
    """Eight submits of one USD invoice at once: one outcome, its number and rate unchanged."""
    db_session.add(
        ExchangeRate(
            from_currency="USD",
            to_currency="JPY",
            valid_on=today_tokyo() - dt.timedelta(days=1),
            rate=Decimal("150.5"),
        )
    )
    db_session.commit()
    doc = issuing.new_document(
        "invoice", sample["acme"], legal_entity=entity, currency="USD", lines=[line(price="10")]
    )
    number = doc.number
    headers = bearer(live_server, "accounting")
    results = api_posts(live_server, headers, f"/api/v1/invoice/{doc.id}/action/submit", 8)
    assert sorted(statuses(results))[0] == 200
    assert all(code in (200, 422) for code in statuses(results))
    db_session.expire_all()
    doc = db_session.get(Document, doc.id)
    assert doc.number == number and doc.state == "approved"
    assert doc.exchange_rate == Decimal("150.5") and doc.base_total == Decimal("1656")


def test_the_entity_of_a_numbered_document_cannot_change(db_session, sample, entity, us):
    doc = issuing.new_document("invoice", sample["acme"], legal_entity=entity, lines=[line()])
    doc.legal_entity = us
    with pytest.raises(InvalidInput) as refused:
        db_session.flush()
    assert refused.value.field == "legal_entity"
    assert doc.number in str(refused.value)
    db_session.rollback()


def test_prefixes_are_checked_in_words(db_session, entity, us):
    with force_locale("en"):
        _prefixes_are_checked_in_words(db_session)


def _prefixes_are_checked_in_words(db_session):
    other = LegalEntity(name="Renkei Pte. Ltd.", number_prefix="us-", base_currency="SGD")
    db_session.add(other)
    with pytest.raises(InvalidInput, match="US-"):
        db_session.flush()  # folded to US-: already Renkei Inc.'s
    db_session.rollback()
    db_session.add(LegalEntity(name="Renkei Pte. Ltd.", number_prefix="", base_currency="SGD"))
    with pytest.raises(InvalidInput, match="without a prefix"):
        db_session.flush()
    db_session.rollback()
    db_session.add(LegalEntity(name="Renkei Pte. Ltd.", number_prefix="S G", base_currency="SGD"))
    with pytest.raises(InvalidInput, match="capital letters"):
        db_session.flush()
    db_session.rollback()


def test_the_prefix_of_an_entity_with_documents_stays(db_session, sample, us):
    issuing.new_document("invoice", sample["acme"], legal_entity=us, lines=[line()])
    us.number_prefix = "USA-"
    with force_locale("en"), pytest.raises(InvalidInput, match="cannot change"):
        db_session.flush()
    db_session.rollback()


# -- exchange rates -------------------------------------------------------------------


def _rate(session, source, target, days_ago, rate):
    row = ExchangeRate(
        from_currency=source,
        to_currency=target,
        valid_on=today_tokyo() - dt.timedelta(days=days_ago),
        rate=Decimal(rate),
    )
    session.add(row)
    session.commit()
    return row


def test_the_rate_is_frozen_at_issue_and_later_rates_change_nothing(
    db_session, sample, entity, users, clean
):
    _rate(db_session, "USD", "JPY", 30, "140")
    current = _rate(db_session, "USD", "JPY", 2, "150.25")
    _rate(db_session, "USD", "JPY", -5, "170")  # after the issue date: not taken
    doc = issuing.new_document(
        "invoice",
        sample["acme"],
        legal_entity=entity,
        currency="USD",
        lines=[line(price="1000.00", rate="exempt")],
    )
    draft_view = conversion_of(doc)
    assert draft_view.rate == Decimal("150.25") and not draft_view.frozen
    approvals.submit(doc, users["accounting"])
    db_session.refresh(doc)
    assert doc.state == "approved"
    assert (doc.base_currency, doc.exchange_rate) == ("JPY", Decimal("150.25"))
    assert doc.exchange_rate_date == current.valid_on
    assert doc.base_total == Decimal("150250")
    # Finance corrects today's rate and adds one for the issue date itself: nothing moves.
    current.rate = Decimal("155")
    _rate(db_session, "USD", "JPY", 0, "160")
    db_session.expire_all()
    doc = db_session.get(Document, doc.id)
    assert doc.exchange_rate == Decimal("150.25") and doc.base_total == Decimal("150250")
    shown = conversion_of(doc)
    assert shown.frozen and shown.rate == Decimal("150.25")


def test_a_document_in_the_base_currency_has_no_rate(db_session, sample, entity, users, clean):
    _rate(db_session, "USD", "JPY", 3, "150")
    doc = issuing.new_document("invoice", sample["acme"], legal_entity=entity, lines=[line()])
    approvals.submit(doc, users["accounting"])
    assert doc.exchange_rate is None and doc.base_total is None
    assert conversion_of(doc) is None


def test_without_a_rate_the_document_still_leaves_draft_and_says_so(
    db_session, sample, entity, users, clean
):
    doc = issuing.new_document(
        "invoice", sample["acme"], legal_entity=entity, currency="EUR", lines=[line(price="10")]
    )
    approvals.submit(doc, users["accounting"])
    assert doc.state == "approved" and doc.base_currency == "JPY"
    assert doc.exchange_rate is None and conversion_of(doc).rate is None


@pytest.mark.parametrize(
    ("amount", "rate", "base", "expected"),
    [
        (Decimal("1.00"), Decimal("100.5"), "JPY", Decimal("101")),  # half up
        (Decimal("1.00"), Decimal("100.49999999"), "JPY", Decimal("100")),
        (Decimal("10.01"), Decimal("150.555"), "JPY", Decimal("1507")),
        (Decimal("1000"), Decimal("0.00666"), "USD", Decimal("6.66")),
        (Decimal("1005"), Decimal("0.00666"), "USD", Decimal("6.69")),  # 6.6933
        (Decimal("75"), Decimal("0.0067"), "USD", Decimal("0.50")),  # 0.5025
        (Decimal("1"), Decimal("0.005"), "USD", Decimal("0.01")),  # 0.005: half up
    ],
)
def test_base_amounts_round_half_up_to_the_base_currency(amount, rate, base, expected):
    assert base_amount(amount, rate, base) == expected


def test_a_us_entity_converts_a_yen_invoice_to_dollars(db_session, sample, us, users, clean):
    _rate(db_session, "JPY", "USD", 1, "0.00666")
    doc = issuing.new_document(
        "invoice",
        sample["acme"],
        legal_entity=us,
        currency="JPY",
        lines=[line(price="100000", rate="exempt")],
    )
    approvals.submit(doc, users["accounting"])
    assert doc.number.startswith("US-INV-")
    assert (doc.base_currency, doc.base_total) == ("USD", Decimal("666.00"))


# What the refusal says when the rule (not the schema) refuses.
WORDS = {
    "to_currency": "two different currencies",
    "rate": "rate",
    "from_currency": "currency",
    "valid_on": "The rate's date must be between",
}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (
            {"from_currency": "USD", "to_currency": "USD", "valid_on": "2026-12-01", "rate": "1"},
            "to_currency",
        ),
        (
            {"from_currency": "USD", "to_currency": "JPY", "valid_on": "2026-12-01", "rate": "-3"},
            "rate",
        ),
        (
            {"from_currency": "USD", "to_currency": "JPY", "valid_on": "2026-12-01", "rate": "0"},
            "rate",
        ),
        (
            {"from_currency": "XXX", "to_currency": "JPY", "valid_on": "2026-12-01", "rate": "1"},
            "from_currency",
        ),
        (
            {"from_currency": "USD", "to_currency": "JPY", "valid_on": "1990-01-01", "rate": "1"},
            "valid_on",
        ),
        (
            {
                "from_currency": "USD",
                "to_currency": "JPY",
                "valid_on": "2026-12-01",
                "rate": "1.123456789",
            },
            "rate",
        ),
        (
            {"from_currency": "USD", "to_currency": "JPY", "valid_on": "2026-12-01", "rate": "abc"},
            "rate",
        ),
    ],
)
def test_the_rate_api_refuses_bad_input_with_4xx(client, api_token, body, field, clean):
    response = client.post(
        "/api/v1/exchange_rate/?_l_=en",
        json=body,
        headers={"Authorization": f"Bearer {api_token}"},
    )
    assert 400 <= response.status_code < 500, response.get_data(as_text=True)
    text = response.get_data(as_text=True)
    assert field in text or WORDS[field] in text, text


def test_the_rate_api_records_a_rate_once_per_pair_and_day(client, api_token, clean):
    body = {
        "from_currency": "USD",
        "to_currency": "JPY",
        "valid_on": "2026-12-01",
        "rate": "150.25",
    }
    headers = {"Authorization": f"Bearer {api_token}"}
    first = client.post("/api/v1/exchange_rate/", json=body, headers=headers)
    assert first.status_code == 201, first.get_data(as_text=True)
    again = client.post("/api/v1/exchange_rate/", json=body, headers=headers)
    assert 400 <= again.status_code < 500
    listed = client.get("/api/v1/exchange_rate/", headers=headers).get_json()
    assert [r["rate"] for r in listed["result"]] in (["150.25000000"], [150.25], ["150.25"])


def test_the_rate_screen_lists_and_adds(admin_client, clean):
    page = admin_client.get("/exchangerates/add?_l_=en")
    assert page.status_code == 200
    response = admin_client.post(
        "/exchangerates/add",
        data={
            "from_currency": "USD",
            "to_currency": "JPY",
            "valid_on": "2026-11-30",
            "rate": "151.2",
            "csrf_token": csrf_token(admin_client, "/exchangerates/add"),
        },
        follow_redirects=True,
    )
    assert response.status_code == 200
    listing = admin_client.get("/exchangerates/list/").get_data(as_text=True)
    assert "151.20" in listing


# -- the connection refuses another entity's documents --------------------------------


def _connection(session, entity, name="MF US") -> Connection:
    connection = Connection(
        provider="moneyforward",
        name=name,
        client_id="x",
        api_base_url="http://127.0.0.1:9/api",
        authorize_url="http://127.0.0.1:9/authorize",
        token_url="http://127.0.0.1:9/token",
        status="connected",
        base_currency="JPY",
        legal_entity=entity,
    )
    session.add(connection)
    session.commit()
    return connection


def test_a_new_connection_belongs_to_the_first_entity(db_session, entity, us, clean):
    connection = Connection(
        provider="moneyforward",
        name="MF default",
        client_id="x",
        api_base_url="http://127.0.0.1:9/api",
        authorize_url="http://127.0.0.1:9/authorize",
        token_url="http://127.0.0.1:9/token",
    )
    db_session.add(connection)
    db_session.commit()
    assert connection.legal_entity is entity


@pytest.fixture()
def foreign(db_session, sample, entity, us, users, clean):
    """An approved JPY invoice of the first entity and a connection of the US one."""
    doc = issuing.new_document("invoice", sample["acme"], legal_entity=entity, lines=[line()])
    approvals.submit(doc, users["accounting"])
    return doc, _connection(db_session, us)


def _refusal_words(doc, connection) -> list[str]:
    return [doc.number, "株式会社レンケイ", "Renkei Inc.", connection.name]


def test_the_api_refuses_another_entitys_document_in_words(client, api_token, foreign):
    doc, connection = foreign
    response = client.post(
        f"/api/v1/document/{doc.id}/issue?_l_=en",
        json={"connection_ids": [connection.id]},
        headers={"Authorization": f"Bearer {api_token}"},
    )
    assert 400 <= response.status_code < 500, response.get_data(as_text=True)
    text = str(response.get_json())
    assert all(word in text for word in _refusal_words(doc, connection)), text


def test_the_issue_screen_flashes_the_refusal(admin_client, foreign):
    doc, connection = foreign
    admin_client.get("/lang/en")
    response = admin_client.post(
        f"/invoices/issue/{doc.id}",
        data={
            "connection_id": str(connection.id),
            "csrf_token": csrf_token(admin_client, f"/invoices/show/{doc.id}"),
        },
        follow_redirects=True,
    )
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "a connection only takes documents of its own legal entity" in text
    assert all(word in text for word in _refusal_words(doc, connection))


def test_a_deal_invoiced_at_a_connection_is_issued_by_its_entity(
    app, db_session, sample, entity, us, clean
):
    """ "Create invoice" at the US entity's connection makes the US entity's invoice."""
    from app.models.crm import Deal
    from app.services.sync import issuing as provider_issuing

    deal = Deal(
        title="US support",
        company=sample["acme"],
        stage="won",
        probability=100,
        currency="JPY",
        amount=Decimal("120000"),
    )
    db_session.add(deal)
    db_session.commit()
    connection = _connection(db_session, us, "MF US deal")
    admin = app.appbuilder.sm.find_user(username="admin")
    document = issuing.from_deal(deal, "invoice", user=admin, legal_entity=connection.legal_entity)
    assert document.legal_entity is us and document.number.startswith("US-INV-")
    provider_issuing.check_document(document, connection)  # no refusal: same entity
    db_session.rollback()


def test_an_automation_rule_notes_the_refusal(db_session, sample, entity, us, users, clean):
    """The rule's issuing checks the document like any door: refused in words, noted."""
    from app.services.sync import issuing as provider_issuing

    doc = issuing.new_document("invoice", sample["acme"], legal_entity=entity, lines=[line()])
    approvals.submit(doc, users["accounting"])
    connection = _connection(db_session, us, "MF US rule")
    with pytest.raises(InvalidInput) as refused:
        provider_issuing.issue_automatic(doc, connection, [])
    assert "Renkei Inc." in str(refused.value) and refused.value.field == "legal_entity"
    db_session.rollback()


# -- the PDF shows the rate -----------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("ja", ["換算レート：1USD=150.25JPY", "JPY換算額：￥150,250"]),
        ("en", ["Exchangerate:1USD=150.25JPY", "TotalinJPY:¥150,250"]),
    ],
)
def test_the_pdf_shows_the_rate_and_the_base_amount(
    db_session, sample, entity, users, language, words, clean
):
    import shutil
    import subprocess
    from pathlib import Path

    from app.services.documents.pdf import render_document
    from tests.documents.test_document_pdf import pdf_text

    _rate(db_session, "USD", "JPY", 2, "150.25")
    doc = issuing.new_document(
        "invoice",
        sample["acme"],
        legal_entity=entity,
        currency="USD",
        language=language,
        lines=[line(name="Consulting", price="1000.00", rate="exempt")],
    )
    approvals.submit(doc, users["accounting"])
    pdf = render_document(doc, users["accounting"])
    text = pdf_text(pdf.content)
    assert all(word in text for word in words), text
    if shutil.which("pdftoppm"):  # a picture for a person to look at
        shots = Path("/tmp/pdfshots")
        shots.mkdir(parents=True, exist_ok=True)
        (shots / f"rate-{language}.pdf").write_bytes(pdf.content)
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                "70",
                "-singlefile",
                f"rate-{language}.pdf",
                f"rate-{language}",
            ],
            cwd=shots,
            check=True,
        )


def test_the_document_page_shows_the_rate(admin_client, db_session, sample, entity, users, clean):
    _rate(db_session, "USD", "JPY", 2, "150.25")
    doc = issuing.new_document(
        "invoice",
        sample["acme"],
        legal_entity=entity,
        currency="USD",
        lines=[line(price="1000.00", rate="exempt")],
    )
    approvals.submit(doc, users["accounting"])
    admin_client.get("/lang/en")
    page = admin_client.get(f"/invoices/show/{doc.id}").get_data(as_text=True)
    assert "1 USD = 150.25 JPY" in page and 'id="doc-base-total"' in page
    assert "150,250" in page


def test_the_entity_form_takes_a_prefix_and_refuses_a_taken_one(admin_client, db_session, entity):
    from tests.documents.test_screens import post

    form = {
        "name": "Renkei Inc.",
        "number_prefix": "us-",
        "base_currency": "USD",
        "tax_rounding": "half_up",
        "brand_colour": "#112233",
    }
    response = post(admin_client, "/legalentities/add?_l_=en", form, page="/legalentities/add")
    assert response.status_code in (200, 302)
    made = db_session.query(LegalEntity).filter_by(name="Renkei Inc.").one()
    assert made.number_prefix == "US-"
    taken = {**form, "name": "Renkei Pte. Ltd.", "number_prefix": ""}
    response = post(admin_client, "/legalentities/add?_l_=en", taken, page="/legalentities/add")
    assert "already numbers without a prefix" in response.get_data(as_text=True)
    assert db_session.query(LegalEntity).filter_by(name="Renkei Pte. Ltd.").count() == 0


def test_a_rule_whose_connection_changed_entity_notes_the_refusal(
    app, db_session, sample, entity, us, clean
):
    """The deal's automatic invoice was made by the first entity; the rule's connection now
    belongs to the US one: the rule's run is "refused", in words, on the deal — no 500."""
    from app.models.automation import AutomationEvent, AutomationRule
    from app.models.crm import Deal
    from app.services import automation

    admin = app.appbuilder.sm.find_user(username="admin")
    deal = Deal(
        title="Rule entity",
        company=sample["acme"],
        stage="won",
        probability=100,
        currency="JPY",
        amount=Decimal("50000"),
    )
    db_session.add(deal)
    db_session.commit()
    made = issuing.from_deal(deal, "invoice", user=admin, automatic=True)
    approvals.submit(made, admin)
    connection = _connection(db_session, us, "MF US automation")
    rule = AutomationRule(
        name="Won: invoice", trigger="won", action="invoice", connection=connection
    )
    db_session.add(rule)
    db_session.commit()
    try:
        assert automation.apply_rule(deal, rule, "won", admin) == "refused"
        (event,) = db_session.query(AutomationEvent).filter_by(deal_id=deal.id).all()
        assert event.outcome == "refused"
        assert "株式会社レンケイ" in event.note and "Renkei Inc." in event.note
    finally:
        db_session.rollback()
        db_session.query(AutomationEvent).delete()
        db_session.query(AutomationRule).delete()
        db_session.commit()


def test_the_openapi_document_lists_rates_entities_and_the_frozen_rate(client, api_token):
    spec = client.get(
        "/api/v1/_openapi", headers={"Authorization": f"Bearer {api_token}"}
    ).get_json()
    assert "/api/v1/exchange_rate/" in spec["paths"] and "/api/v1/legal_entity/" in spec["paths"]
    assert "post" not in spec["paths"]["/api/v1/legal_entity/"]  # read only
    shown = str(spec["components"]["schemas"])
    assert "exchange_rate_date" in shown and "base_total" in shown and "number_prefix" in shown
