"""403, 404 and 500 on the screens: the console's own pages, in the reader's language,
with a way back; never Werkzeug's bare English "Forbidden" / "Not Found"."""

from __future__ import annotations

from flask_babel import refresh
from werkzeug.exceptions import InternalServerError

from tests.conftest import login

BARE = ("Forbidden", "Not Found", "Internal Server Error", "The requested URL")


def _check(response, code):
    html = response.get_data(as_text=True)
    assert response.status_code == code, html[:300]
    assert 'id="error-page"' in html and f'data-code="{code}"' in html
    assert "navbar" in html  # the console's layout, its menu and all
    assert 'id="error-home"' in html
    for word in BARE:
        assert word not in html, word
    return html


def _broken(*args, **kwargs):
    raise InternalServerError()


def test_each_error_page_for_a_signed_in_japanese_user(app, client, sample, monkeypatch):
    login(client, "readonly")
    refresh()
    html = _check(client.get("/invoices/add"), 403)
    assert "コンソールに戻る" in html, html[html.find('id="error-page"') :][:600]
    _check(client.get("/no/such/page/"), 404)
    came_from = client.get(
        "/invoices/show/999999", headers={"Referer": "http://localhost/dealview/list/"}
    )
    html = _check(came_from, 404)
    assert 'id="error-back" href="/dealview/list/"' in html
    monkeypatch.setitem(app.view_functions, "RenkeiIndexView.index", _broken)
    _check(client.get("/"), 500)


def test_english_on_request(client, sample):
    login(client, "readonly")
    refresh()
    html = _check(client.get("/invoices/add?_l_=en"), 403)
    assert "You may not open this page" in html and "Back to the console" in html


def test_the_api_keeps_its_json(client, sample):
    response = client.get("/api/v1/invoice/999999")
    assert response.status_code in (401, 404)
    assert response.is_json
