"""Writing a follow-up note is idempotent (issue 13): N identical posts released at the
same instant — on the screen and through the REST API over real HTTP, and through the
service on both databases — make one note; two different notes make two."""

from __future__ import annotations

import requests
from flask_appbuilder.security.sqla.models import User

from app.extensions import db
from app.models.audit import AuditEntry
from app.models.crm import Company
from app.models.reminders import FollowUpNote
from app.services.reminders import followups
from tests.documents.test_races import browser, together
from tests.reminders.conftest import make_invoice

RUNS = 8


def _notes(session, company_id, text):
    session.expire_all()
    return session.query(FollowUpNote).filter_by(company_id=company_id, note=text).all()


def test_n_identical_notes_posted_on_the_screen_at_once_make_one(
    live_server, db_session, sample, entity, users
):
    invoice = make_invoice(sample["sakura"], users, db_session)
    session, token = browser(live_server, "sales")
    url = f"{live_server.url}/followups/{invoice.company_id}/note"
    cookies = session.cookies.copy()

    def post(text):
        return lambda: (
            requests.post(
                url,
                data={"csrf_token": token, "kind": "call", "note": text},
                cookies=cookies.copy(),
                allow_redirects=False,
                timeout=60,
            ).status_code
        )

    lines = db_session.query(AuditEntry).filter(AuditEntry.action == "follow_up")
    before = lines.count()  # the trail is append-only over a test run
    codes = together([post("電話: 来週入金予定")] * RUNS)
    assert codes == [302] * RUNS, codes
    assert len(_notes(db_session, invoice.company_id, "電話: 来週入金予定")) == 1
    assert lines.count() == before + 1
    # two different notes at once are two notes
    codes = together([post("一件目"), post("二件目")])
    assert codes == [302, 302]
    assert len(_notes(db_session, invoice.company_id, "一件目")) == 1
    assert len(_notes(db_session, invoice.company_id, "二件目")) == 1


def test_n_identical_notes_posted_through_the_api_at_once_make_one(
    live_server, db_session, sample, entity, users
):
    invoice = make_invoice(sample["sakura"], users, db_session)
    login = requests.post(
        f"{live_server.url}/api/v1/security/login",
        json={"username": "sales", "password": "sales", "provider": "db"},
        timeout=30,
    )
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    url = f"{live_server.url}/api/v1/reminder/company/{invoice.company_id}/note"
    promised = "2099-01-31"
    body = {"kind": "promise", "note": "月末に振込", "promised_on": promised}

    def post(values):
        return lambda: requests.post(url, json=values, headers=headers, timeout=60)

    answers = together([post(body)] * RUNS)
    assert [a.status_code for a in answers] == [201] * RUNS, answers
    assert len({a.json()["id"] for a in answers}) == 1
    (note,) = _notes(db_session, invoice.company_id, "月末に振込")
    assert note.promised_on.isoformat() == promised and note.fingerprint
    answers = together([post({"note": "別件A"}), post({"note": "別件B"})])
    assert [a.status_code for a in answers] == [201, 201]
    assert answers[0].json()["id"] != answers[1].json()["id"]
    # the same text for another day is another note
    other = dict(body, promised_on="2099-02-28")
    assert requests.post(url, json=other, headers=headers, timeout=60).status_code == 201
    assert len(_notes(db_session, invoice.company_id, "月末に振込")) == 2


def test_the_service_writes_one_note_for_n_at_once_on_both_databases(any_app, any_session):
    company = Company(name="冪等 株式会社", code="IDEM-1")
    any_session.add(company)
    any_session.commit()
    company_id = company.id

    def write(text):
        def call():
            with any_app.app_context():
                try:
                    user = db.session.query(User).filter_by(username="admin").one()
                    row = db.session.get(Company, company_id)
                    return followups.add_note(row, user, "note", text).id
                finally:
                    db.session.remove()

        return call

    ids = together([write("同じメモ")] * RUNS)
    assert all(isinstance(i, int) for i in ids), ids
    assert len(set(ids)) == 1
    ids = together([write("メモ1"), write("メモ2")])
    assert all(isinstance(i, int) for i in ids) and ids[0] != ids[1]
    any_session.expire_all()
    texts = sorted(n.note for n in any_session.query(FollowUpNote).filter_by(company_id=company_id))
    assert texts == sorted(["同じメモ", "メモ1", "メモ2"])
