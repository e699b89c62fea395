"""The mismatch screens: Integrations → Mismatches with its buttons, the home page's
count, and the document page's "take off the deal" (audited, refused without the write
right) and "link a provider document"."""

from __future__ import annotations

import re

import sqlalchemy as sa

from app.models.audit import AuditEntry
from app.models.documents import Document
from app.models.sync import ExternalDocument, Mismatch
from app.services.errors import Forbidden, InvalidInput
from tests.conftest import csrf_token, login
from tests.sync.conftest import user
from tests.sync.test_mismatches import issued, open_rows, scheduled_pull, seed_total

CSRF_PAGE = "/resetmypassword/form"


def english(app, username: str = "admin"):
    client = app.test_client()
    login(client, username)
    client.get("/lang/en")  # FAB keeps the chosen language in the session
    return client


def post(client, url: str, **data):
    return client.post(url, data={"csrf_token": csrf_token(client, CSRF_PAGE), **data})


def a_total_mismatch(app, db_session, mf, jpy_deal, run_jobs):
    link = issued(app, db_session, mf, jpy_deal, run_jobs)
    seed_total(db_session, link)
    scheduled_pull(db_session)
    (row,) = open_rows(db_session, mf)
    return link, row


def test_the_report_page_shows_each_row_in_words(app, db_session, mf, jpy_deal, sandbox, run_jobs):
    link, row = a_total_mismatch(app, db_session, mf, jpy_deal, run_jobs)
    client = english(app)
    html = client.get(f"/mismatches/list/?connection={mf.id}").get_data(as_text=True)
    assert "Total differs" in html and 'class="mismatch-row mismatch-total mismatch-open"' in html
    document = db_session.get(Document, link.document_id)
    assert document.number in html and "132,001" in html and "132,000" in html
    assert "btn-mismatch-ignore" in html and "btn-mismatch-pull" in html
    assert english(app, "readonly").get("/mismatches/list/").status_code == 403
    reader = english(app, "accounting").get("/mismatches/list/")
    assert reader.status_code == 200


def test_ignore_on_the_screen_needs_a_reason(app, db_session, mf, jpy_deal, sandbox, run_jobs):
    _link, row = a_total_mismatch(app, db_session, mf, jpy_deal, run_jobs)
    client = english(app, "accounting")
    answer = post(client, f"/mismatches/ignore/{row.id}", reason=" ")
    assert answer.status_code == 302
    html = client.get("/mismatches/list/").get_data(as_text=True)
    assert "Say why this mismatch is ignored." in html
    db_session.expire_all()
    assert db_session.get(Mismatch, row.id).ignored_at is None
    post(client, f"/mismatches/ignore/{row.id}", reason="agreed with the customer")
    db_session.expire_all()
    assert db_session.get(Mismatch, row.id).ignored_reason == "agreed with the customer"
    html = client.get("/mismatches/list/?show=ignored").get_data(as_text=True)
    assert "agreed with the customer" in html


def test_push_refusal_is_flashed_in_words(app, db_session, mf, jpy_deal, sandbox, run_jobs):
    _link, row = a_total_mismatch(app, db_session, mf, jpy_deal, run_jobs)
    client = english(app)
    post(client, f"/mismatches/push/{row.id}")
    html = client.get("/mismatches/list/").get_data(as_text=True)
    assert "Correct it there" in html


def test_home_page_counts_open_mismatches_for_those_who_may_read_them(
    app, db_session, mf, jpy_deal, sandbox, run_jobs
):
    a_total_mismatch(app, db_session, mf, jpy_deal, run_jobs)
    html = english(app).get("/").get_data(as_text=True)
    tile = re.search(
        r'id="waiting-mismatches"\s*href="([^"]+)">\s*<span class="renkei-tile-count">(\d+)<', html
    )
    assert tile and tile.groups() == ("/mismatches/list/", "1"), html
    assert "Open mismatches" in html
    assert 'id="waiting-mismatches"' not in english(app, "readonly").get("/").get_data(as_text=True)


def test_take_a_document_off_its_deal(app, db_session, mf, jpy_deal, sandbox, run_jobs):
    link = issued(app, db_session, mf, jpy_deal, run_jobs)
    document = db_session.get(Document, link.document_id)
    page = f"/invoices/show/{document.id}"
    html = english(app).get(page).get_data(as_text=True)
    assert 'id="btn-unlink-deal"' in html and 'id="form-link-provider"' not in html  # linked
    # An approver reads invoices but may not write them: refused, nothing changes.
    approver = english(app, "approver")
    assert 'id="btn-unlink-deal"' not in approver.get(page).get_data(as_text=True)
    post(approver, f"/invoices/unlink_deal/{document.id}")
    assert "You may not change what this document is linked to" in approver.get(page).get_data(
        as_text=True
    )
    db_session.expire_all()
    assert db_session.get(Document, document.id).deal_id == jpy_deal.id
    answer = post(english(app, "accounting"), f"/invoices/unlink_deal/{document.id}")
    assert answer.status_code == 302
    db_session.expire_all()
    assert db_session.get(Document, document.id).deal_id is None
    assert db_session.get(ExternalDocument, link.id).deal_id is None
    entry = (
        db_session.query(AuditEntry)
        .filter_by(document_id=document.id, action="unlinked_from_deal")
        .one()
    )
    assert entry.username == "accounting" and jpy_deal.title in entry.note


def test_automation_documents_stay_on_their_deal(app, db_session, mf, jpy_deal, sandbox, run_jobs):
    import pytest
    from flask_babel import force_locale

    from app.services.sync import links

    link = issued(app, db_session, mf, jpy_deal, run_jobs)
    db_session.execute(
        sa.text("UPDATE external_document SET created_by_automation = true WHERE id = :id"),
        {"id": link.id},
    )
    db_session.commit()
    document = db_session.get(Document, link.document_id)
    with force_locale("en"), pytest.raises(InvalidInput, match="automation"):
        links.unlink_from_deal(document, user(app))
    with pytest.raises(Forbidden):
        links.unlink_from_deal(document, user(app, "readonly"))
    db_session.execute(
        sa.text(
            "UPDATE external_document SET created_by_automation = false WHERE id = :id;"
            "UPDATE document SET created_by_automation = true WHERE id = :d"
        ),
        {"id": link.id, "d": document.id},
    )
    db_session.commit()
    with force_locale("en"), pytest.raises(InvalidInput, match="stage automation"):
        links.unlink_from_deal(db_session.get(Document, document.id), user(app))
    html = english(app).get(f"/invoices/show/{document.id}").get_data(as_text=True)
    assert 'id="btn-unlink-deal"' not in html
    db_session.expire_all()
    assert db_session.get(Document, document.id).deal_id == jpy_deal.id


def test_link_form_offered_where_the_document_has_no_link(
    app, db_session, mf, jpy_deal, sample, sandbox, run_jobs
):
    from tests.sync.test_mismatches import _second_invoice

    issued(app, db_session, mf, jpy_deal, run_jobs)
    second = _second_invoice(app, db_session, sample)
    client = english(app)
    html = client.get(f"/invoices/show/{second.id}").get_data(as_text=True)
    assert 'id="form-link-provider"' in html and f'value="{mf.id}"' in html
    answer = client.get(f"/invoices/link_candidates/{second.id}?connection={mf.id}")
    assert answer.status_code == 200  # the customer's only invoice there is linked already
    assert "no document there that is not linked yet" in answer.get_data(as_text=True)
    # An id the provider does not hold: refused in words, nothing linked.
    post(client, f"/invoices/link_provider/{second.id}", connection=str(mf.id), external_id="nope")
    assert "has no document nope" in client.get(f"/invoices/show/{second.id}").get_data(
        as_text=True
    )
    assert db_session.query(ExternalDocument).filter_by(document_id=second.id).count() == 0


def test_link_and_pull_from_the_report_page(
    app, db_session, mf, jpy_deal, sample, sandbox, run_jobs
):
    from app.models.sync import PartnerLink
    from tests.sync.test_mismatches import _second_invoice

    issued(app, db_session, mf, jpy_deal, run_jobs)
    second = _second_invoice(app, db_session, sample)
    partner = db_session.query(PartnerLink).filter_by(connection_id=mf.id).one()
    made = sandbox.make_invoice(
        customer_id=partner.external_id,
        reference=f"rk-{second.id}-c0ffee00",
        lines=[
            {"name": "追加", "unit_price": "120000", "quantity": "1", "tax_rate": "standard_10"}
        ],
    )
    scheduled_pull(db_session)
    (row,) = open_rows(db_session, mf)
    client = english(app, "accounting")
    html = client.get("/mismatches/list/").get_data(as_text=True)
    assert "Not known to Renkei" in html and f'value="{second.id}" selected' in html
    post(client, f"/mismatches/pull/{row.id}")  # still there, still unknown
    assert "the difference is still there" in client.get("/mismatches/list/").get_data(as_text=True)
    post(client, f"/mismatches/link/{row.id}", document_id=str(second.id))
    db_session.expire_all()
    link = db_session.query(ExternalDocument).filter_by(document_id=second.id).one()
    assert link.external_id == str(made["id"]) and link.origin == "linked"
    assert db_session.get(Mismatch, row.id).resolved_at is not None
