"""Japanese by default, English on request; nothing on a page loads from the internet."""

import re
from pathlib import Path

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask_babel import refresh

ROOT = Path(__file__).resolve().parent.parent
EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["'](?:https?:)?//""", re.I)


def test_japanese_is_the_default(admin_client, sample):
    html = admin_client.get("/dealview/list/").get_data(as_text=True)
    assert "案件" in html and "取引先" in html and "受注予定日" in html
    assert "提案" in html  # stage label translated


def test_english_on_request(admin_client, sample):
    # The fixtures hold one app context across requests, where Flask-Babel caches the
    # translations; a real server starts a new context per request.
    refresh()
    html = admin_client.get("/dealview/list/?_l_=en").get_data(as_text=True)
    assert "Expected close date" in html and "Proposal" in html


def test_every_message_is_translated_and_compiled():
    po_path = ROOT / "app/translations/ja_JP/LC_MESSAGES/messages.po"
    with open(po_path, "rb") as f:
        po = read_po(f)
    with open(po_path.with_suffix(".mo"), "rb") as f:
        mo = read_mo(f)
    with open(ROOT / "app/translations/messages.pot", "rb") as f:
        pot = read_po(f)
    untranslated = [m.id for m in po if m.id and not m.string]
    assert not untranslated, untranslated
    assert {m.id for m in pot if m.id} <= {m.id for m in po if m.id}, "run scripts/translations.py"

    def plain(value):  # a plural's id and strings come as a list or a tuple
        return tuple(value) if isinstance(value, (list, tuple)) else value

    compiled = {plain(m.id): plain(m.string) for m in mo if m.id}
    assert {plain(m.id): plain(m.string) for m in po if m.id} == compiled, (
        "messages.mo is stale: run scripts/translations.py"
    )


def test_pages_load_nothing_from_outside(admin_client, sample):
    pages = [
        "/",
        "/dealview/list/",
        f"/dealview/show/{sample['with_lines'].id}",
        "/dealview/add",
        "/companyview/list/",
        f"/companyview/show/{sample['sakura'].id}",
        "/productview/list/",
        "/contactview/list/",
        "/dealtypeview/list/",
        "/users/list/",
        "/roles/list/",
        "/swagger/v1",
    ]
    for page in pages:
        response = admin_client.get(page)
        assert response.status_code == 200, page
        html = response.get_data(as_text=True)
        assert not EXTERNAL.search(html), (page, EXTERNAL.search(html).group(0))


def test_login_page_loads_nothing_from_outside(app):
    html = app.test_client().get("/login/").get_data(as_text=True)
    assert "password" in html and not EXTERNAL.search(html)


def test_user_statistics_chart_is_not_offered(admin_client):
    """FAB's chart loads Google Charts from the internet: it must not be reachable."""
    assert admin_client.get("/userstatschartview/chart/").status_code == 404
