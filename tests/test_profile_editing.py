"""Role administrators edit profiles in the console; the change holds at once and survives
a restart's bootstrap (profiles are data, not rebuilt from config)."""

from app.cli import bootstrap
from tests.conftest import csrf_token, login


def _permission_ids(app, role_name):
    role = app.appbuilder.sm.find_role(role_name)
    return role.id, [pv.id for pv in role.permissions]


def test_admin_grants_sales_product_editing_in_the_console(app, db_session, admin_client):
    sm = app.appbuilder.sm
    role_id, current = _permission_ids(app, "Sales")
    product_write = sm.find_permission_view_menu("can_write", "Product")
    sales = app.test_client()
    login(sales, "sales")
    assert sales.get("/productview/add").status_code == 403
    try:
        url = f"/roles/edit/{role_id}"
        response = admin_client.post(
            url,
            data={
                "name": "Sales",
                "permissions": [*current, product_write.id],
                "csrf_token": csrf_token(admin_client, url),
            },
        )
        assert response.status_code == 302
        assert sales.get("/productview/add").status_code == 200  # holds at once
        bootstrap()  # what every start and upgrade runs
        db_session.expire_all()
        _, after = _permission_ids(app, "Sales")
        assert product_write.id in after  # the administrator's edit is kept
        token = (
            app.test_client()
            .post(
                "/api/v1/security/login",
                json={"username": "sales", "password": "sales", "provider": "db"},
            )
            .get_json()["access_token"]
        )
        api = app.test_client().post(
            "/api/v1/product/", json={}, headers={"Authorization": f"Bearer {token}"}
        )
        assert api.status_code == 422  # allowed through the API too (and the body is empty)
    finally:
        bootstrap(reset_profiles=True)
    db_session.expire_all()
    _, restored = _permission_ids(app, "Sales")
    assert product_write.id not in restored
