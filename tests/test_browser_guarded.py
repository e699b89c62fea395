"""In Chromium: void sits apart on the right and asks for a reason and a confirmation
before it voids; the error pages are the console's own. Screenshots go to
$RENKEI_SHOTS (when set) for people to look at."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.models.audit import AuditEntry
from app.models.documents import Document
from app.services.documents import issuing
from tests.documents.conftest import entity, line, users  # noqa: F401 (fixtures)
from tests.documents.test_screens import sent
from tests.test_browser import page  # noqa: F401 (fixture)

pytestmark = pytest.mark.browser


def _shot(pg, tmp_path, name):
    folder = Path(os.environ.get("RENKEI_SHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def _login(pg, live_server, username):
    pg.goto(f"{live_server.url}/login/")
    pg.fill("#username", username)
    pg.fill("#password", username)
    pg.click("input[type=submit], button[type=submit]")
    pg.wait_for_load_state()


def test_void_asks_for_a_reason_and_a_confirmation(
    page,  # noqa: F811
    live_server,
    sample,
    entity,  # noqa: F811
    db_session,
    tmp_path,
):
    invoice = sent(issuing.new_document("invoice", sample["sakura"], lines=[line()]), db_session)
    _login(page, live_server, "accounting")
    page.goto(f"{live_server.url}/invoices/show/{invoice.id}")
    first = page.locator("#doc-actions button, #doc-actions a, #doc-actions summary").first
    assert first.get_attribute("id") not in ("btn-void", "open-void", "open-write_off")
    assert not page.locator("#btn-void").is_visible()  # behind its <details>
    _shot(page, tmp_path, "document-sent-ja")
    page.click("#open-void")
    assert page.locator("#btn-void").is_visible()
    _shot(page, tmp_path, "document-void-open-ja")
    page.click("#btn-void")  # no reason, no confirmation: the browser keeps the form
    db_session.expire_all()
    assert db_session.get(Document, invoice.id).state == "sent"
    page.fill("#void-comment", "二重発行のため")
    page.check("#void-confirm")
    page.click("#btn-void")
    page.wait_for_load_state()
    db_session.expire_all()
    assert db_session.get(Document, invoice.id).state == "void"
    note = (
        db_session.query(AuditEntry)
        .filter_by(document_id=invoice.id, action="transition", new_value="void")
        .one()
        .note
    )
    assert note == "二重発行のため"
    _shot(page, tmp_path, "document-voided-ja")


def test_error_pages_in_the_console(page, live_server, sample, tmp_path):  # noqa: F811
    _login(page, live_server, "readonly")
    for url, name in (("/invoices/add", "error-403-ja"), ("/no/such/page/", "error-404-ja")):
        response = page.goto(f"{live_server.url}{url}")
        assert response.status in (403, 404)
        assert page.locator("#error-home").is_visible()
        assert "Forbidden" not in page.content() and "Not Found" not in page.content()
        _shot(page, tmp_path, name)
    page.goto(f"{live_server.url}/no/such/page/?_l_=en")
    _shot(page, tmp_path, "error-404-en")
