"""Review: a template version is decided once, whoever decides at the same moment.

``templates.decide`` checked the version's state without locking its row: approvals
and rejections released together could each see it pending and each be told they
decided it, the last one winning."""

from __future__ import annotations

import requests

from app.models.publishing import DocumentTemplate
from app.services.documents import templates
from tests.documents import test_templates
from tests.documents.test_races import browser, together
from tests.documents.test_templates import edited_pdf_body

fresh_templates = test_templates.fresh_templates  # fixture: template versions wiped

N = 4


def test_a_version_decided_at_once_by_several_has_one_decision(
    live_server, db_session, users, fresh_templates
):
    version = templates.propose(
        "pdf", "invoice", "ja", edited_pdf_body("RACE"), user=users["accounting"]
    )
    version_id = version.id
    deciders = [browser(live_server, name) for name in ("approver", "admin") for _ in range(N)]

    def decide(session, token, verb):
        return lambda: session.post(
            f"{live_server.url}/templates/{verb}/{version_id}",
            data={"csrf_token": token, "comment": "理由"},
            timeout=60,
        )

    calls = [
        decide(session, token, "approve" if i < N else "reject")
        for i, (session, token) in enumerate(deciders)
    ]
    answers = together(calls)
    assert all(isinstance(a, requests.Response) for a in answers), answers
    told_done = [a for a in answers if "alert-success" in a.text and "alert-danger" not in a.text]
    assert len(told_done) == 1, [a.status_code for a in answers]
    db_session.expire_all()
    assert db_session.get(DocumentTemplate, version_id).state in ("approved", "rejected")
