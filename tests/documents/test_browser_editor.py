"""In Chromium: the one-page editor (customer and product as you type, contacts of the
customer only, lines added, removed and reordered, live totals equal to the saved
document's, landing on the document) and the send preview (subject edited, sent, the
page shows "sent" by itself, the sink got the edited subject). Screenshots go to
$RENKEI_SHOTS when set, in Japanese and English."""

from __future__ import annotations

import os
import time
from decimal import Decimal
from pathlib import Path

import pytest

from app.models.crm import Contact
from app.models.documents import Document
from tests.documents.conftest import entity, line, mail, sink, users  # noqa: F401 (fixtures)
from tests.documents.test_sending import approved
from tests.test_browser import page  # noqa: F401 (fixture)

pytestmark = pytest.mark.browser


def _shot(pg, tmp_path, name):
    folder = Path(os.environ.get("RENKEI_SHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def _login(pg, live_server, username, lang="ja"):
    pg.goto(f"{live_server.url}/login/")
    pg.fill("#username", username)
    pg.fill("#password", username)
    pg.click("input[type=submit], button[type=submit]")
    pg.wait_for_load_state()
    pg.goto(f"{live_server.url}/lang/{lang}")


def _pick(pg, input_selector, text, option_text):
    pg.locator(input_selector).fill(text)
    option = pg.locator(".editor-suggest:not(.hidden) li.editor-option", has_text=option_text)
    option.first.wait_for()
    option.first.click()


def _totals_ready(pg):
    pg.wait_for_function(
        "document.getElementById('document-editor').getAttribute('data-totals') === 'ready'"
    )


def _rows(pg):
    return pg.locator("#editor-rows tr.editor-row")


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_write_an_invoice_on_one_page(
    page,  # noqa: F811
    live_server,
    sample,
    entity,  # noqa: F811
    db_session,
    tmp_path,
    lang,
):
    db_session.add(Contact(company=sample["acme"], name="John Smith", email="john@acme.test"))
    db_session.commit()
    _login(page, live_server, "accounting", lang)
    page.goto(f"{live_server.url}/invoices/list/")
    _shot(page, tmp_path, f"invoice-list-new-button-{lang}")
    page.click("#btn-new-document")
    page.wait_for_selector("#document-editor")

    _pick(page, "#ed-company-search", "さくら", "株式会社さくら商事")
    page.wait_for_function("document.getElementById('ed-contact').options.length > 1")
    contacts = page.locator("#ed-contact option").all_inner_texts()
    assert contacts[1:] == ["佐藤 花子"] and "__None" not in contacts[0]
    page.select_option("#ed-contact", label="佐藤 花子")
    assert page.input_value("#ed-recipient_email") == "hanako@example.com"
    issue = page.input_value("#ed-issue_date")
    assert page.input_value("#ed-due_date") > issue  # issue + 30 days (the issuer's default)

    # line 1 from the product master: price, unit and tax rate filled in
    first = _rows(page).nth(0)
    _pick(page, "#editor-rows tr:nth-child(1) .ed-line-product-search", "弁当", "お弁当")
    assert first.locator("[data-line=unit_price]").input_value() == "1080"
    assert first.locator("[data-line=unit]").input_value() == "個"
    assert first.locator("[data-line=tax_rate]").input_value() == "reduced_8"
    first.locator("[data-line=quantity]").fill("3")
    # line 2 typed, with the price as people write it; tax defaults to 10 %
    page.click("#editor-add-line")
    second = _rows(page).nth(1)
    second.locator("[data-line=name]").fill("保守サポート")
    second.locator("[data-line=unit_price]").fill("13,870")
    second.locator("[data-line=quantity]").fill("２")
    assert second.locator("[data-line=tax_rate]").input_value() == "standard_10"
    labels = second.locator("[data-line=tax_rate] option").all_inner_texts()
    assert labels == (
        ["10%", "8%（軽減税率）", "非課税"] if lang == "ja" else ["10%", "8% (reduced)", "Exempt"]
    )
    # line 3 added then removed
    page.click("#editor-add-line")
    _rows(page).nth(2).locator("[data-line=name]").fill("間違い")
    _rows(page).nth(2).locator("[data-line=unit_price]").fill("999")
    assert _rows(page).count() == 3
    _rows(page).nth(2).locator(".editor-remove").click()
    assert _rows(page).count() == 2
    # reorder: the typed line first
    _rows(page).nth(1).locator(".editor-up").click()
    assert _rows(page).nth(0).locator("[data-line=name]").input_value() == "保守サポート"
    assert page.locator(".editor-position").all_inner_texts() == ["1", "2"]
    _totals_ready(page)
    shown_gross = page.locator("#editor-gross").inner_text()
    shown_plain = page.locator("#editor-gross").get_attribute("data-plain")
    shown_rates = page.locator("#editor-rates tr.rate-row").all_inner_texts()
    assert len(shown_rates) == 2
    _shot(page, tmp_path, f"editor-filled-{lang}")

    page.click("#editor-save")
    page.wait_for_url("**/invoices/show/*")
    doc = db_session.query(Document).filter_by(kind="invoice").one()
    assert page.url.endswith(f"/invoices/show/{doc.id}")
    assert [(x.position, x.name) for x in doc.lines] == [(1, "保守サポート"), (2, "お弁当")]
    assert doc.contact_id == sample["hanako"].id
    # 27,740 at 10 % → 2,774; 3,240 at 8 % → 259 (rounded down once)
    assert doc.total == Decimal(shown_plain) == Decimal(27740 + 2774 + 3240 + 259)
    assert shown_gross in page.locator("#doc-totals").inner_text()
    _shot(page, tmp_path, f"editor-saved-{lang}")


def test_a_refused_save_keeps_everything_typed(
    page,  # noqa: F811
    live_server,
    sample,
    entity,  # noqa: F811
    db_session,
    tmp_path,
):
    _login(page, live_server, "accounting", "en")
    page.goto(f"{live_server.url}/invoices/editor/")
    row = _rows(page).nth(0)
    row.locator("[data-line=name]").fill("Consulting")
    row.locator("[data-line=unit_price]").fill("12,3,4")
    page.fill("#ed-notes", "please keep me")
    page.click("#editor-save")
    page.wait_for_selector("#editor-alert:not(.hidden)")
    assert page.locator("[data-error-for=company]").inner_text()
    assert "not a number" in row.locator("[data-line-error=unit_price]").inner_text()
    assert row.locator("[data-line=unit_price]").input_value() == "12,3,4"
    assert page.input_value("#ed-notes") == "please keep me"
    assert db_session.query(Document).count() == 0
    _shot(page, tmp_path, "editor-refused-en")


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_send_preview_edits_then_the_page_updates_itself(
    page,  # noqa: F811
    live_server,
    sample,
    entity,  # noqa: F811
    users,  # noqa: F811
    mail,  # noqa: F811
    run_jobs,
    db_session,
    tmp_path,
    lang,
):
    invoice = approved("invoice", sample, users)
    _login(page, live_server, "accounting", lang)
    page.goto(f"{live_server.url}/invoices/show/{invoice.id}")
    assert not page.locator("#send-preview").is_visible()
    page.click("#btn-send")
    assert page.locator("#send-preview").is_visible()
    assert invoice.number in page.input_value("#send-subject")
    assert page.input_value("#send-attachment") == f"{invoice.number}.pdf"
    page.fill("#send-subject", f"ご請求書（{invoice.number}）12月分")
    page.fill("#send-cc", "boss@sakura.example")
    _shot(page, tmp_path, f"send-preview-{lang}")
    page.evaluate("window.__notReloaded = true")
    page.click("#btn-send-now")
    page.wait_for_selector("#send-progress[data-state=queued]")
    run_jobs()
    page.wait_for_selector("#send-progress[data-state=sent]", timeout=15000)
    assert page.evaluate("window.__notReloaded") is True  # the same page, updated in place
    assert page.locator("#doc-state [data-state=sent]").count() == 1
    # the page as stored now: the email's row with the edited subject, no stale actions
    assert f"ご請求書（{invoice.number}）12月分" in page.locator("#emails").inner_text()
    assert page.locator("#btn-reopen").count() == 0
    _shot(page, tmp_path, f"send-done-{lang}")
    deadline = time.time() + 5
    while not mail.messages() and time.time() < deadline:
        time.sleep(0.1)
    [received] = mail.messages()
    assert received.subject == f"ご請求書（{invoice.number}）12月分"
    assert "boss@sakura.example" in received.rcpt_tos
