"""A legal entity's own templates (0020_entities): its documents use its newest approved
version; other entities keep the global one; deciding compares within one entity."""

from __future__ import annotations

import pytest
from flask_babel import force_locale

from app.models.documents import LegalEntity
from app.services.documents import approvals, issuing, templates
from app.services.documents.pdf import render_document
from tests.conftest import csrf_token
from tests.documents.conftest import line
from tests.documents.test_templates import MARK, forget_new_versions, pdf_text


@pytest.fixture()
def world(db_session, sample, entity, users):
    forget_new_versions(db_session)
    us = LegalEntity(name="Renkei Inc.", number_prefix="US-", base_currency="JPY")
    db_session.add(us)
    db_session.commit()
    with force_locale("en"):
        yield entity, us
    forget_new_versions(db_session)


def _approved_own(users, entity, marker):
    body = templates.active("pdf", "invoice", "ja").body.replace(MARK, f"{MARK}<p>{marker}</p>")
    own = templates.propose(
        "pdf", "invoice", "ja", body, user=users["accounting"], legal_entity=entity
    )
    templates.decide(own, users["approver"], approve=True, comment="ok")
    return own


def test_an_entity_prints_with_its_own_template_others_with_the_global(
    db_session, sample, users, world
):
    first, us = world
    global_v = templates.active("pdf", "invoice", "ja")
    own = _approved_own(users, us, "US-LAYOUT")
    assert templates.active("pdf", "invoice", "ja", us).id == own.id
    assert templates.active("pdf", "invoice", "ja").id == global_v.id  # global unchanged
    assert templates.active("pdf", "invoice", "ja", first).id == global_v.id  # fallback

    theirs = issuing.new_document("invoice", sample["acme"], legal_entity=us, lines=[line()])
    ours = issuing.new_document("invoice", sample["acme"], legal_entity=first, lines=[line()])
    for doc in (theirs, ours):
        approvals.submit(doc, users["accounting"])
    printed = render_document(theirs, users["accounting"])
    assert printed.template_id == own.id and "US-LAYOUT" in pdf_text(printed.content)
    plain = render_document(ours, users["accounting"])
    assert plain.template_id == global_v.id and "US-LAYOUT" not in pdf_text(plain.content)


def test_a_newer_global_version_does_not_block_an_entitys_pending_one(db_session, users, world):
    _first, us = world
    body = templates.active("pdf", "invoice", "ja").body
    pending = templates.propose(
        "pdf", "invoice", "ja", body, user=users["accounting"], legal_entity=us
    )
    newer_global = templates.propose("pdf", "invoice", "ja", body, user=users["accounting"])
    templates.decide(newer_global, users["approver"], approve=True, comment="ok")
    templates.decide(pending, users["approver"], approve=True, comment="ok")  # no refusal
    assert templates.active("pdf", "invoice", "ja", us).id == pending.id
    assert templates.versions("pdf", "invoice", "ja", us) == [pending]


def test_the_propose_screen_offers_the_entities(admin_client, db_session, world):
    _first, us = world
    page = admin_client.get("/templates/add").get_data(as_text=True)
    assert 'name="legal_entity"' in page and "Renkei Inc." in page
    body = templates.active("pdf", "invoice", "ja").body
    response = admin_client.post(
        "/templates/add",
        data={
            "purpose": "pdf",
            "kind": "invoice",
            "language": "ja",
            "legal_entity": str(us.id),
            "body": body,
            "csrf_token": csrf_token(admin_client, "/templates/add"),
        },
    )
    assert response.status_code == 302
    (made,) = templates.versions("pdf", "invoice", "ja", us)
    assert made.state == "pending"
    listing = admin_client.get("/templates/list/").get_data(as_text=True)
    assert "Renkei Inc." in listing
