"""Headless Chromium on the reminders' preview page and a customer's follow-up list: the
preview lists today's reminder and why without sending it; a note with a promised date
added on the follow-up page holds it, and the preview then says so."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from app.models.reminders import FollowUpNote, Reminder
from app.services.reminders import schedule
from tests.reminders.conftest import (  # noqa: F401
    entity,
    mail,
    make_invoice,
    sample,
    sink,
    users,
)
from tests.test_browser import page  # noqa: F401

pytestmark = pytest.mark.browser
SHOTS = Path("/work/shots/rem")


def _login(page, live_server, username):  # noqa: F811
    page.goto(f"{live_server.url}/lang/en")
    page.goto(f"{live_server.url}/login/")
    page.fill("#username", username)
    page.fill("#password", username)
    page.click("input[type=submit], button[type=submit]")
    page.wait_for_load_state()


def _shot(page, name, tmp_path):  # noqa: F811
    target = SHOTS if SHOTS.parent.exists() else tmp_path
    target.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target / name), full_page=True)


def test_preview_and_follow_up_in_a_browser(
    page,  # noqa: F811
    live_server,
    db_session,
    sample,  # noqa: F811
    entity,  # noqa: F811
    users,  # noqa: F811
    mail,  # noqa: F811
    tmp_path,
):
    today = schedule.today_in_tokyo()
    overdue = make_invoice(sample["sakura"], users, db_session, due=today - dt.timedelta(days=7))
    soon = make_invoice(
        sample["sakura"], users, db_session, due=today + dt.timedelta(days=3), email="b@ex.jp"
    )
    _login(page, live_server, "accounting")
    page.goto(f"{live_server.url}/reminders/")
    going = page.locator("#going tr.reminder-row")
    assert going.count() == 2
    row = page.locator(f"#going tr[data-number='{overdue.number}']")
    assert "+7" in row.inner_text() and "7 days overdue" in row.inner_text()
    assert "keiri@sakura.example" in row.inner_text() and "110,000" in row.inner_text()
    assert (
        "3 days before the due date"
        in page.locator(f"#going tr[data-number='{soon.number}']").inner_text()
    )
    assert page.locator("#send-now button").is_visible()
    _shot(page, "reminders-preview.png", tmp_path)
    assert mail.messages() == [] and db_session.query(Reminder).count() == 0  # a dry run

    # the customer's follow-up page: note a promise to pay for the overdue invoice
    row.locator("a", has_text=overdue.company.name).click()
    page.wait_for_load_state()
    assert page.locator("#followup-company").inner_text() == overdue.company.name
    promised = (today + dt.timedelta(days=4)).isoformat()
    page.select_option("#note-form select[name=kind]", "promise")
    page.select_option("#note-form select[name=document_id]", str(overdue.id))
    page.fill("#note-form input[name=promised_on]", promised)
    page.fill("#note-form textarea[name=note]", "山田様：今週金曜に振込予定")
    page.click("#note-form button[type=submit]")
    page.wait_for_load_state()
    assert page.locator(".alert-success").count() >= 1
    history = page.locator("#history tr.kind-promise")
    assert history.count() == 1 and "山田様：今週金曜に振込予定" in history.inner_text()
    assert promised in history.inner_text()
    _shot(page, "followup-company.png", tmp_path)
    note = db_session.query(FollowUpNote).one()
    assert (note.promised_on.isoformat(), note.created_by.username) == (promised, "accounting")

    # the preview now holds that invoice, saying why
    page.goto(f"{live_server.url}/reminders/")
    assert page.locator("#going tr.reminder-row").count() == 1
    held = page.locator(f"#reminders-held tr[data-number='{overdue.number}']")
    assert f"Payment promised by {promised}." in held.inner_text()
    page.goto(f"{live_server.url}/followups/")
    assert page.locator("tr.followup-row").filter(has_text=overdue.company.name).count() == 1
    _shot(page, "followups.png", tmp_path)
