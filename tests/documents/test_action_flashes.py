"""What an action did reads as a sentence with the document's number, not "Submit: done."."""

from __future__ import annotations

from app.services.documents import issuing
from tests.documents.conftest import line
from tests.documents.test_screens import as_user, post, sent  # noqa: F401 (fixture)


def _after(client, response) -> str:
    assert response.status_code == 302
    return client.get(response.headers["Location"]).get_data(as_text=True)


def test_actions_say_what_happened_to_which_document(as_user, sample, entity, db_session):  # noqa: F811
    client = as_user("accounting")
    client.get("/lang/en")
    draft = issuing.new_document("invoice", sample["sakura"], lines=[line()])
    html = _after(client, post(client, f"/invoices/act/{draft.id}", {"action": "submit"}))
    assert f"{draft.number} was submitted; it is now “Approved”." in html
    assert ": done." not in html

    invoice = sent(issuing.new_document("invoice", sample["sakura"], lines=[line()]), db_session)
    html = _after(
        client, post(client, f"/invoices/act/{invoice.id}", {"action": "credit", "comment": ""})
    )
    assert "Credit note CN-" in html and "was made for this invoice." in html
    void = {"action": "void", "comment": "二重発行"}
    html = _after(client, post(client, f"/invoices/act/{draft.id}", void))
    assert f"{draft.number} was voided." in html
