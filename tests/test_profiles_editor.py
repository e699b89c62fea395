"""The profiles editor: a grid of resources × verbs that role administrators tick."""

import re

from app.cli import bootstrap
from tests.conftest import csrf_token, login


def _ticked(html: str) -> set[str]:
    tags = re.findall(r'<input type="checkbox" name="perm"[^>]*>', html)
    return {re.search(r'value="([^"]+)"', t).group(1) for t in tags if " checked" in t}


def _grid(client, role_id):
    return client.get(f"/profiles/{role_id}").get_data(as_text=True)


def test_grid_shows_what_the_profile_holds(app, admin_client):
    sales = app.appbuilder.sm.find_role("Sales")
    html = _grid(admin_client, sales.id)
    ticked = _ticked(html)
    assert {"Deal:read", "Deal:write", "Company:write", "Invoice:read"} <= ticked
    assert "Product:write" not in ticked and "Connection:manage" not in ticked
    assert "ProviderDocument:create_at_provider" in html  # grantable, not granted
    assert "ProviderDocument:create_at_provider" not in ticked


def test_ticking_a_box_grants_it_everywhere_and_unticking_takes_it_back(app, admin_client):
    sales_role = app.appbuilder.sm.find_role("Sales")
    url = f"/profiles/{sales_role.id}"
    sales = app.test_client()
    login(sales, "sales")
    before = _ticked(_grid(admin_client, sales_role.id))
    try:
        response = admin_client.post(
            url,
            data={
                "perm": sorted(before | {"Product:write"}),
                "csrf_token": csrf_token(admin_client, url),
            },
        )
        assert response.status_code == 302
        assert sales.get("/productview/add").status_code == 200
        assert sales.get("/dealview/list/").status_code == 200  # menus and the rest kept
        assert sales.get("/users/userinfo/").status_code == 200  # self-service kept
        response = admin_client.post(
            url,
            data={
                "perm": sorted(before - {"Deal:read"}),
                "csrf_token": csrf_token(admin_client, url),
            },
        )
        assert sales.get("/dealview/list/").status_code == 403
        assert sales.get("/productview/add").status_code == 403
    finally:
        bootstrap(reset_profiles=True)


def test_admin_profile_cannot_be_narrowed(app, admin_client):
    admin_role = app.appbuilder.sm.find_role("Admin")
    url = f"/profiles/{admin_role.id}"
    admin_client.post(
        url, data={"perm": ["Deal:read"], "csrf_token": csrf_token(admin_client, url)}
    )
    assert admin_client.get("/connections/list/").status_code == 200


def test_only_profile_managers_reach_the_editor(app):
    for username in ("sales", "accounting", "approver", "readonly"):
        client = app.test_client()
        login(client, username)
        assert client.get("/profiles/").status_code == 403, username
