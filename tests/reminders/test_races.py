"""Reminders under races on PostgreSQL: N scheduler runs released together (each its own
thread, app context and session) send each step once; a failed step retried by N runs
at once is sent once; N pause requests over real HTTP make one pause."""

from __future__ import annotations

import threading

import requests

from app.extensions import db
from app.models.reminders import FollowUpNote, Reminder, ReminderPause
from app.services.reminders import schedule
from tests.documents.test_races import browser, together
from tests.reminders.conftest import make_invoice, on

RUNS = 8


def _runs_at_once(app, now) -> list:
    def run():
        with app.app_context():
            try:
                return schedule.run(now=now)
            finally:
                db.session.remove()

    return together([run] * RUNS)


def test_n_schedulers_at_once_send_each_step_once(app, db_session, sample, entity, users, mail):
    invoices = [
        make_invoice(sample["sakura"], users, db_session, email=f"k{i}@sakura.example")
        for i in range(5)
    ]
    results = _runs_at_once(app, on(7))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(r.get("sent", 0) for r in results) == 5
    db_session.expire_all()
    rows = db_session.query(Reminder.document_id, Reminder.step, Reminder.state).all()
    assert sorted(rows) == sorted((i.id, 7, "sent") for i in invoices)
    recipients = sorted(m.rcpt_tos[0] for m in mail.messages())
    assert recipients == sorted(f"k{i}@sakura.example" for i in range(5))
    # a restart and a second scheduler the same day: still nothing more
    assert _runs_at_once(app, on(7)) == [{}] * RUNS
    assert len(mail.messages()) == 5


def test_a_failed_step_retried_by_n_runs_at_once_goes_once(
    app, db_session, sample, entity, users, mail
):
    make_invoice(sample["sakura"], users, db_session)
    mail.fail_next("tempfail")
    assert schedule.run(now=on(7)) == {"failed": 1}
    results = _runs_at_once(app, on(8))
    assert sum(r.get("sent", 0) for r in results) == 1, results
    assert len(mail.messages()) == 1
    db_session.expire_all()
    reminder = db_session.query(Reminder).one()
    assert (reminder.state, reminder.attempts) == ("sent", 2)


def test_n_pause_requests_at_once_pause_once(live_server, db_session, sample, entity, users):
    invoice = make_invoice(sample["sakura"], users, db_session)
    session, token = browser(live_server, "accounting")
    url = f"{live_server.url}/followups/{invoice.company_id}/pause"
    barrier_free = threading.Lock()  # requests.Session is not thread-safe for cookies

    def pause():
        with barrier_free:
            cookies = session.cookies.copy()
        return requests.post(
            url,
            data={"csrf_token": token, "reason": "交渉中"},
            cookies=cookies,
            allow_redirects=False,
            timeout=60,
        ).status_code

    codes = together([pause] * RUNS)
    assert codes == [302] * RUNS, codes
    db_session.expire_all()
    assert db_session.query(ReminderPause).filter_by(company_id=invoice.company_id).count() == 1
    notes = db_session.query(FollowUpNote).filter_by(company_id=invoice.company_id, kind="paused")
    assert notes.count() == 1
