"""Reminders through the doors people use: the rules on the settings screen and the REST
API, the preview page (a dry run) and "Send now", the follow-up page (notes, promised
dates, pauses), and the same through the API — each with its rights."""

from __future__ import annotations

import datetime as dt

import pytest
from flask_babel import force_locale, gettext

from app.models.reminders import FollowUpNote, Reminder, ReminderPause, ReminderRule
from app.services.reminders import schedule
from tests.conftest import csrf_token, login
from tests.reminders.conftest import make_invoice


@pytest.fixture()
def due_today(db_session, sample, entity, users):
    """An invoice of さくら 7 days overdue today (Tokyo): the 7-day step is due."""
    today = schedule.today_in_tokyo()
    return make_invoice(sample["sakura"], users, db_session, due=today - dt.timedelta(days=7))


def _client(app, username):
    client = app.test_client()
    login(client, username)
    client.get("/lang/en")
    return client


def _token(app, username):
    response = app.test_client().post(
        "/api/v1/security/login",
        json={"username": username, "password": username, "provider": "db"},
    )
    return {"Authorization": f"Bearer {response.get_json()['access_token']}"}


def test_a_rule_made_on_the_screen_overrides_the_default(app, db_session, due_today, mail):
    client = _client(app, "accounting")
    response = client.post(
        "/reminderrules/add",
        data={
            "name": "5日後",
            "company": str(due_today.company_id),
            "days": "5",
            "payment_state": "unpaid",
            "active": "y",
            "csrf_token": csrf_token(client, "/reminderrules/add"),
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    rule = db_session.query(ReminderRule).filter_by(name="5日後").one()
    assert (rule.company_id, rule.days, rule.payment_state) == (due_today.company_id, 5, "unpaid")
    [planned] = schedule.plan(schedule.today_in_tokyo())
    assert planned.rule.id == rule.id and planned.step == 5
    html = client.get("/reminders/").get_data(as_text=True)
    assert "5日後" in html and due_today.number in html
    # a rule the database would refuse is refused in words on the screen
    bad = client.post(
        "/reminderrules/add",
        data={
            "name": "too late",
            "days": "400",
            "payment_state": "any",
            "csrf_token": csrf_token(client, "/reminderrules/add"),
        },
    )
    assert db_session.query(ReminderRule).filter_by(name="too late").count() == 0
    assert bad.status_code in (200, 302)


def test_only_configurers_may_write_rules(app, db_session):
    for username, allowed in (("sales", False), ("readonly", False), ("accounting", True)):
        client = _client(app, username)
        response = client.get("/reminderrules/add")
        assert (response.status_code == 200) is allowed, username


def test_rules_through_the_api(app, db_session, due_today):
    headers = _token(app, "accounting")
    client = app.test_client()
    made = client.post(
        "/api/v1/reminder_rule/",
        json={"name": "API 10日", "company": due_today.company_id, "days": 3},
        headers=headers,
    )
    assert made.status_code == 201, made.get_data(as_text=True)
    rule_id = made.get_json()["id"]
    assert (
        client.get("/api/v1/reminder/preview", headers=headers).get_json()["reminders"][0]["step"]
        == 3
    )
    out_of_range = client.post(
        "/api/v1/reminder_rule/", json={"name": "x", "days": 9999}, headers=headers
    )
    assert out_of_range.status_code == 422
    bad_state = client.post(
        "/api/v1/reminder_rule/",
        json={"name": "x", "days": 1, "payment_state": "sometimes"},
        headers=headers,
    )
    assert bad_state.status_code == 422
    changed = client.put(f"/api/v1/reminder_rule/{rule_id}", json={"days": 7}, headers=headers)
    assert changed.status_code == 200
    assert client.delete(f"/api/v1/reminder_rule/{rule_id}", headers=headers).status_code == 200
    sales = _token(app, "sales")
    refused = client.post("/api/v1/reminder_rule/", json={"name": "x", "days": 1}, headers=sales)
    assert refused.status_code == 403


def test_the_preview_lists_why_and_sends_nothing(app, db_session, due_today, mail, run_jobs):
    client = _client(app, "accounting")
    html = client.get("/reminders/").get_data(as_text=True)
    assert "7 days overdue" in html and "+7" in html
    assert "keiri@sakura.example" in html and "110,000" in html
    assert mail.messages() == [] and db_session.query(Reminder).count() == 0
    api = app.test_client().get("/api/v1/reminder/preview", headers=_token(app, "readonly"))
    [row] = api.get_json()["reminders"]
    assert (row["number"], row["days"], row["balance"], row["held"]) == (
        due_today.number,
        7,
        "110000",
        None,
    )
    # "Send now": only for those who may send; it queues the run the scheduler does
    readonly = _client(app, "readonly")
    assert 'id="send-now"' not in readonly.get("/reminders/").get_data(as_text=True)
    refused = readonly.post(
        "/reminders/send", data={"csrf_token": csrf_token(readonly, "/resetmypassword/form")}
    )
    assert refused.status_code in (302, 403) and mail.messages() == []
    response = client.post(
        "/reminders/send", data={"csrf_token": csrf_token(client, "/reminders/")}
    )
    assert response.status_code == 302
    run_jobs()
    assert len(mail.messages()) == 1
    assert db_session.query(Reminder).one().requested_by.username == "accounting"
    html = client.get("/reminders/").get_data(as_text=True)
    assert "No reminder is due today." in html and "Sent" in html


def test_follow_up_page_notes_promises_and_pauses(app, db_session, due_today, mail):
    page = f"/followups/{due_today.company_id}"
    sales = _client(app, "sales")
    response = sales.post(
        f"{page}/note",
        data={
            "kind": "promise",
            "note": "月末に振込予定と回答",
            "promised_on": (schedule.today_in_tokyo() + dt.timedelta(days=3)).isoformat(),
            "document_id": str(due_today.id),
            "csrf_token": csrf_token(sales, page),
        },
    )
    assert response.status_code == 302
    note = db_session.query(FollowUpNote).one()
    assert (note.kind, note.document_id, note.created_by.username) == (
        "promise",
        due_today.id,
        "sales",
    )
    [planned] = schedule.plan(schedule.today_in_tokyo())
    assert planned.held.startswith("Payment promised by")
    html = sales.get(page).get_data(as_text=True)
    assert "月末に振込予定と回答" in html and "Promise to pay" in html
    # the follow-up list shows a promise made for one invoice on its customer's row
    promised = (schedule.today_in_tokyo() + dt.timedelta(days=3)).isoformat()
    listing = sales.get("/followups/").get_data(as_text=True)
    row = listing[listing.index(f'href="/followups/{due_today.company_id}"') :]
    assert promised in row[: row.index("</tr>")]
    assert "Pause reminders for this customer" not in html  # sales may not pause
    past = sales.post(
        f"{page}/note",
        data={
            "kind": "promise",
            "note": "x",
            "promised_on": "2020-01-01",
            "csrf_token": csrf_token(sales, page),
        },
    )
    assert past.status_code == 302 and db_session.query(FollowUpNote).count() == 1
    refused = sales.post(
        f"{page}/pause", data={"csrf_token": csrf_token(sales, "/resetmypassword/form")}
    )
    assert refused.status_code in (302, 403) and db_session.query(ReminderPause).count() == 0
    accounting = _client(app, "accounting")
    response = accounting.post(
        f"{page}/pause", data={"reason": "係争中", "csrf_token": csrf_token(accounting, page)}
    )
    assert response.status_code == 302
    assert db_session.query(ReminderPause).filter_by(company_id=due_today.company_id).count() == 1
    html = accounting.get("/followups/").get_data(as_text=True)
    assert due_today.company.name in html and "Paused" in html
    accounting.post(f"{page}/resume", data={"csrf_token": csrf_token(accounting, page)})
    assert db_session.query(ReminderPause).count() == 0
    approver = _client(app, "approver")
    assert approver.get(page).status_code in (302, 403)


def test_follow_up_through_the_api(app, db_session, due_today, mail):
    client = app.test_client()
    base = f"/api/v1/reminder/company/{due_today.company_id}"
    accounting = _token(app, "accounting")
    paused = client.post(f"{base}/pause", json={"document_id": due_today.id}, headers=accounting)
    assert paused.status_code == 201, paused.get_data(as_text=True)
    again = client.post(f"{base}/pause", json={"document_id": due_today.id}, headers=accounting)
    assert again.status_code == 422
    [planned] = schedule.plan(schedule.today_in_tokyo())
    assert planned.held == gettext("Reminders are paused for this invoice.")
    assert client.post(f"{base}/resume", json={"document_id": due_today.id}, headers=accounting)
    sales = _token(app, "sales")
    assert client.post(f"{base}/pause", json={}, headers=sales).status_code == 403
    noted = client.post(f"{base}/note", json={"kind": "call", "note": "電話済み"}, headers=sales)
    assert noted.status_code == 201
    wrong = client.post(
        f"{base}/note", json={"kind": "promise", "note": "x", "promised_on": "soon"}, headers=sales
    )
    assert wrong.status_code == 422
    other = client.post(f"{base}/note", json={"note": "x", "document_id": 10**9}, headers=sales)
    assert other.status_code == 422
    assert client.get("/api/v1/reminder/company/0/history", headers=sales).status_code == 404
    entries = client.get(f"{base}/history", headers=sales).get_json()["entries"]
    assert [e["kind"] for e in entries][:3] == ["call", "resumed", "paused"]
    approver = _token(app, "approver")
    assert client.get(f"{base}/history", headers=approver).status_code == 403


def test_the_home_page_counts_reminders_due_today_for_those_who_may_read_them(
    app, db_session, due_today, mail
):
    import re

    page = _client(app, "accounting").get("/").get_data(as_text=True)
    tile = re.search(
        r'id="waiting-reminders-due"\s*href="([^"]+)">\s*<span class="renkei-tile-count">(\d+)<',
        page,
    )
    assert tile and tile.group(1) == "/reminders/" and tile.group(2) == "1"
    # once the step went out, nothing waits any more
    assert schedule.run() == {"sent": 1}
    page = _client(app, "accounting").get("/").get_data(as_text=True)
    assert re.search(r'id="waiting-reminders-due"[^>]*>\s*<span class="renkei-tile-count">0<', page)
    # Approver has no right on reminders: no tile
    assert 'id="waiting-reminders-due"' not in _client(app, "approver").get("/").get_data(
        as_text=True
    )


def test_default_rules_read_in_the_readers_language_and_chosen_names_stay(
    app, db_session, due_today, mail
):
    client = app.test_client()
    login(client, "accounting")
    client.get("/lang/ja")
    html = client.get("/reminders/").get_data(as_text=True)
    assert "7 days overdue" not in html
    with app.test_request_context(), force_locale("ja"):
        assert gettext("%(n)d days overdue", n=7) in html
    rule = db_session.query(ReminderRule).filter_by(days=7, company_id=None).one()
    rule.name = "一週間後の督促"
    db_session.commit()
    assert "一週間後の督促" in client.get("/reminders/").get_data(as_text=True)
