"""Every page an admin reaches, in Japanese and in English, reads in the person's words.

The walk starts from every menu entry, follows each list to its add page and to the
first record's show and edit pages, and adds the pages no menu names (a document's
page, a deal's page, settings, the audit trail). It fails on FAB's English UI words left
in a Japanese page and on raw state codes (``partially_paid``, ``bank_transfer``, ``won``
…) in either language.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from flask_babel import refresh

from tests.conftest import login

# Words of Flask-AppBuilder's English UI that must not stay in a Japanese page (a text
# node or a button's label that is exactly one of these, ":" and counts aside).
ENGLISH_UI = frozenset(
    {
        "Show",
        "Add",
        "Edit",
        "Delete",
        "Search",
        "Cancel",
        "Select Value",
        "List",
        "Record",
        "Records",
        "Record Count",
        "True",
        "False",
        "None",
        "Yes",
        "No",
        "Save",
        "Back",
        "Actions",
        "Add Filter",
        "Filter",
        "List Groups",
        "Show record",
        "Edit record",
        "Delete record",
        "In",
        "Not In",
        "Starts with",
        "Ends with",
        "Contains",
        "Equal to",
        "Not Equal to",
        "Greater than",
        "Smaller than",
        "Not Starts With",
        "Not Ends With",
        "Not Contains",
        "Relation",
        "No records found",
        "Refresh",
        "Export",
        "Download",
        "Detail",
        "Details",
        "Page",
        "Language",
        "Logout",
        "Security",
        "Home",
        "Default template shipped with Renkei",
    }
)
# Stored codes that are never words: a page showing them shows data, not language.
RAW_CODES = (
    "partially_paid",
    "bank_transfer",
    "pending_approval",
    "awaiting_approval",
    "written_off",
    "credit_note",
    "delivery_note",
    "template_id",
    "legal_entity_id",
    "issued_at_provider",
    "standard_10",
    "reduced_8",
    "half_up",
)
# Codes that are also English words: raw only when they are a cell's whole text or
# stand beside an arrow.
BARE_CODES = (
    "draft",
    "approved",
    "sent",
    "paid",
    "void",
    "disputed",
    "overdue",
    "won",
    "lost",
    "proposal",
    "negotiation",
    "lead",
    "invoice",
    "quote",
    "unpaid",
    "unsettled",
    "settled",
    "pending",
    "failed",
    "connected",
)
UNDERSCORED = re.compile(r"\b(" + "|".join(RAW_CODES) + r")\b")
_BARE = "|".join(BARE_CODES)
ARROWED = re.compile(rf"(?:→\s*({_BARE})\b)|\b({_BARE})\s*→")
# FAB's lists of permissions and resources show identifiers ("Security", "List Groups"
# as resource names), not words; the profile editor is where people read rights.
IDENTIFIER_PAGES = ("/permissions/", "/viewmenus/", "/permissionviews/")
SKIP = re.compile(
    r"^/(?:logout|lang/|sandbox|api/|swagger|static|login|oauth|resetmypassword|"
    r"resetpassword|register|userinfoedit)|/(?:csv|export|download|pdf|delete|preview)\b"
)


class _Text(HTMLParser):
    """Visible text nodes, labels of buttons and placeholders, and same-site links."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self.links: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "style", "template"):
            self._hidden += 1
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        for name in ("placeholder", "data-placeholder"):
            if attrs.get(name):
                self.texts.append(attrs[name])
        if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
            self.texts.append(attrs["value"])

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden and data.strip():
            self.texts.append(data.strip())
        elif self._hidden and "AdminFilters" in data:
            self.texts.extend(_filter_words(data))


def _filter_words(script: str) -> list[str]:
    """What FAB's search form shows, which it builds in JavaScript from JSON: the filter
    names per column and each column's input (placeholder, options)."""
    words = []
    for line in script.splitlines():
        try:
            value = json.loads(line.strip().rstrip(","))
        except ValueError:
            continue
        if not isinstance(value, dict):
            continue
        for item in value.values():
            if isinstance(item, list):  # filter names of a column
                words.extend(str(name) for name in item)
            elif isinstance(item, str) and "<" in item:  # a column's input, as HTML
                words.extend(read_page(item).texts)
    return words


def read_page(html: str) -> _Text:
    parser = _Text()
    parser.feed(html)
    return parser


def _bare(text: str) -> str:
    return re.sub(r"[\s:：]*\d*$", "", text).strip()


def findings(html: str, japanese: bool) -> list[str]:
    """What in ``html`` is not in the reader's words."""
    found = []
    for text in read_page(html).texts:
        if japanese and _bare(text) in ENGLISH_UI:
            found.append(f"English UI word {text!r}")
        if UNDERSCORED.search(text):
            found.append(f"raw code in {text[:80]!r}")
        elif text in BARE_CODES or ARROWED.search(text):
            found.append(f"raw code {text[:80]!r}")
    return found


def test_findings_see_what_they_should():
    """The detector itself: FAB leftovers and raw codes are found, words are not."""
    page = (
        "<a href='/x'>Show</a><td>partially_paid</td><td>sent → paid</td>"
        "<input type='submit' value='Cancel'><select data-placeholder='Select Value'></select>"
        "<td>won</td><script>var a = 'Show won';</script><td>入金済み</td><td>Paid</td>"
    )
    assert sorted(findings(page, japanese=True)) == sorted(
        [
            "English UI word 'Show'",
            "raw code in 'partially_paid'",
            "raw code 'sent → paid'",
            "raw code 'won'",
            "English UI word 'Select Value'",
            "English UI word 'Cancel'",
        ]
    )
    assert findings(page, japanese=False) == [
        f for f in findings(page, japanese=True) if not f.startswith("English")
    ]
    assert findings("<td>Partially paid</td><td>一部入金</td>", japanese=True) == []
    search = (
        "<script>const filter = new AdminFilters(\n'#filter_form',\n"
        '{"amount": ["\\u7b49\\u3057\\u3044", "Not In"]},\n'
        '{"tax": "<select data-placeholder=\\"Select Value\\"></select>"},\n[]);</script>'
    )
    assert sorted(findings(search, japanese=True)) == [
        "English UI word 'Not In'",
        "English UI word 'Select Value'",
    ]


def _menu_urls(app) -> list[str]:
    urls = []

    def walk(items):
        for item in items:
            if item.childs:
                walk(item.childs)
            elif item.name != "-":
                try:
                    href = item.get_url()
                except Exception:  # a menu entry of a view the walk cannot build
                    continue
                if href and href.startswith("/"):
                    urls.append(href)

    with app.test_request_context():
        walk(app.appbuilder.menu.get_list())
    return urls


SHOW = re.compile(r"^(/[\w-]+)/(show|edit)/(\d+)$")
ADD = re.compile(r"^(/[\w-]+)/add$")


def _follow(links: list[str], seen_kinds: set) -> list[str]:
    """A list page's add page and its first record's show and edit pages."""
    chosen = []
    for href in links:
        path = urlsplit(href).path
        match = SHOW.match(path) or ADD.match(path)
        if not match:
            continue
        key = (match.group(1), match.group(2) if match.re is SHOW else "add")
        if key in seen_kinds:
            continue
        seen_kinds.add(key)
        chosen.append(path)
    return chosen


@pytest.fixture()
def demo_world(app, db_session):
    """The demo's records: companies, deals, documents in every state, connections."""
    from flask import current_app

    from app.models.documents import Document
    from app.models.sync import ExternalDocument
    from app.services.connections import ensure_demo_connections
    from app.services.demo_data import load_demo_data

    owners = [
        current_app.appbuilder.sm.find_user(username=u).id for u in ("admin", "sales", "accounting")
    ]
    load_demo_data(db_session, owners=owners)
    connections = ensure_demo_connections(db_session, "http://127.0.0.1:9")
    # Provider links in each provider's own words, as pulls leave them.
    raw = {"moneyforward": "未設定", "zoho": "partially_paid", "freee": "unsettled"}
    invoice = (
        db_session.query(Document)
        .filter_by(kind="invoice", state="partially_paid")
        .order_by(Document.id)
        .first()
    )
    for key, connection in connections.items():
        db_session.add(
            ExternalDocument(
                connection=connection,
                document_id=invoice.id,
                deal_id=invoice.deal_id,
                reference=f"rk-walk-{key}",
                external_id=f"walk-{key}",
                number=f"W-{key}",
                total=invoice.total,
                billing_status="partially_paid",
                payment_status=raw[key],
            )
        )
    db_session.commit()
    return invoice


def walk(client, app) -> dict[str, str]:
    """Every page the walk reaches: url → html."""
    pages: dict[str, str] = {}
    queue = ["/", *_menu_urls(app), "/audittrail/list/"]
    seen_kinds: set = set()
    while queue:
        url = queue.pop(0)
        if url in pages or SKIP.search(urlsplit(url).path):
            continue
        response = client.get(url)
        assert response.status_code in (200, 302), (url, response.status_code)
        if response.status_code != 200:
            continue
        html = response.get_data(as_text=True)
        pages[url] = html
        queue.extend(_follow(read_page(html).links, seen_kinds))
    return pages


@pytest.mark.parametrize("language", ["ja_JP", "en"])
def test_every_page_speaks_the_readers_words(app, client, demo_world, language):
    login(client)
    client.get(f"/lang/{language}")
    refresh()
    pages = walk(client, app)
    # the walk reached the pages no menu names
    reached = " ".join(pages)
    for needed in ("/dealview/show/", "/invoices/show/", "/audittrail/list/", "/connections/"):
        assert needed in reached, (needed, sorted(pages))
    assert len(pages) > 40, sorted(pages)
    problems = {
        url: found
        for url, html in pages.items()
        if (found := findings(html, language != "en" and not url.startswith(IDENTIFIER_PAGES)))
    }
    assert not problems, "\n".join(f"{url}: {sorted(set(f))}" for url, f in problems.items())


def test_provider_statuses_read_in_renkei_words(client, demo_world):
    """Each provider's own status word is put into Renkei's words by its package; the
    provider's word stays on hover (title)."""
    login(client)
    client.get("/lang/en")
    refresh()
    html = client.get(f"/invoices/show/{demo_world.id}").get_data(as_text=True)
    shown = set(re.findall(r'provider-status" title="([^"]*)">\(([^<]*)\)<', html))
    assert shown == {
        ("未設定", "Draft"),  # Money Forward's label
        ("partially_paid", "Partially paid"),  # Zoho's code
        ("unsettled", "Unpaid"),  # freee's code
    }, shown
