"""Role administrators edit profiles in the console; the change holds at once and survives
a restart's bootstrap (profiles are data, not rebuilt from config)."""

import sqlalchemy as sa

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


def _holds(app, role_name, pair) -> bool:
    role = app.appbuilder.sm.find_role(role_name)
    return any((pv.permission.name, pv.view_menu.name) == pair for pv in role.permissions)


def test_an_upgrade_gives_existing_profiles_the_rights_it_introduces_once(app, db_session):
    """A database from before the refresh right: bootstrap (run at every upgrade) gives it
    to the profiles that define it, not to ReadOnly; an administrator's later removal stays."""
    refresh = ("can_refresh_statuses", "ProviderDocument")
    sm = app.appbuilder.sm
    try:
        pv_id = sm.find_permission_view_menu(*refresh).id  # remove it, as before the upgrade
        db_session.execute(
            sa.text("DELETE FROM ab_permission_view_role WHERE permission_view_id = :id"),
            {"id": pv_id},
        )
        db_session.execute(sa.text("DELETE FROM ab_permission_view WHERE id = :id"), {"id": pv_id})
        db_session.commit()
        db_session.expire_all()
        assert sm.find_permission_view_menu(*refresh) is None
        assert not _holds(app, "Accounting", refresh)
        bootstrap()
        db_session.expire_all()
        assert _holds(app, "Sales", refresh) and _holds(app, "Accounting", refresh)
        assert not _holds(app, "ReadOnly", refresh) and not _holds(app, "Approver", refresh)
        # an administrator takes it from Sales: the next start's bootstrap leaves it so
        sales = sm.find_role("Sales")
        sales.permissions = [
            pv for pv in sales.permissions if (pv.permission.name, pv.view_menu.name) != refresh
        ]
        db_session.commit()
        bootstrap()
        db_session.expire_all()
        assert not _holds(app, "Sales", refresh) and _holds(app, "Accounting", refresh)
    finally:
        bootstrap(reset_profiles=True)
