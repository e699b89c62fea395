"""Customers, departments and items in the sandboxes: update timestamps and paging as
each real API documents them (what the customer sync relies on)."""

from __future__ import annotations

from .conftest import FREEE_COMPANY, ok

COMPANY = {"company_id": FREEE_COMPANY}


def test_freee_items_create_list_page_update(sandbox, freee):
    url = sandbox.url + "/sandbox/freee/api/1/items"
    made = [
        ok(freee.session.post(url, json={**COMPANY, "name": f"品目{i}"}, timeout=10), 201)["item"]
        for i in range(3)
    ]
    assert all(item["update_date"] for item in made)
    page = ok(freee.session.get(url, params={**COMPANY, "offset": 1, "limit": 1}, timeout=10))
    assert [i["id"] for i in page["items"]] == [made[1]["id"]]
    again = freee.session.post(url, json={**COMPANY, "name": "品目0"}, timeout=10)
    assert again.status_code == 400
    body = {**COMPANY, "name": "品目0 改", "shortcut1": "P-0"}
    changed = ok(freee.session.put(f"{url}/{made[0]['id']}", json=body, timeout=10))["item"]
    assert changed["name"] == "品目0 改" and changed["shortcut1"] == "P-0"


def test_mf_partners_page_and_carry_updated_at(mf):
    for i in range(3):
        body = {"name": f"取引先{i}", "code": f"C-{i}", "departments": [{"person_name": "担当"}]}
        ok(mf.post("/partners", json=body), 201)
    page = ok(mf.get("/partners", params={"page": 2, "per_page": 2}))
    assert page["pagination"]["total_pages"] == 2 and len(page["data"]) == 1
    partner = page["data"][0]
    assert partner["updated_at"] and partner["departments"][0]["updated_at"]


def test_zoho_contacts_filter_on_last_modified_time(zoho):
    first = ok(zoho.post("/contacts", json={"contact_name": "甲"}), 201)["contact"]
    stamp = first["last_modified_time"]
    listed = ok(zoho.get("/contacts", params={"last_modified_time": stamp}))["contacts"]
    assert first["contact_id"] in [c["contact_id"] for c in listed]
    later = ok(zoho.get("/contacts", params={"last_modified_time": "2999-01-01T00:00:00+0900"}))
    assert later["contacts"] == []
