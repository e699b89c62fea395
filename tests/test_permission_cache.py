"""Permissions are read once per request, and a role edited between two requests counts."""

from __future__ import annotations

from sqlalchemy import event

from app.extensions import db
from app.security.rights import user_may
from tests.conftest import login


def _permission_statements(client, url):
    seen = []

    def listen(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        response = client.get(url)
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)
    return response, [s for s in seen if "ab_permission_view" in s]


def test_one_permission_query_per_request(app, client, sample):
    login(client, "sales")
    client.get("/dealview/list/")
    response, statements = _permission_statements(client, "/dealview/list/")
    assert response.status_code == 200
    assert len(statements) == 1, statements


def test_a_role_edited_between_two_requests_is_seen_by_the_second(app, db_session, client):
    sm = app.appbuilder.sm
    accounting = sm.find_role("Accounting")
    grant = sm.find_permission_view_menu("can_write", "DealType")
    assert grant is not None
    assert grant not in accounting.permissions
    login(client, "accounting")
    try:
        assert client.get("/dealtypeview/add").status_code != 200
        accounting.permissions.append(grant)
        db_session.commit()
        assert client.get("/dealtypeview/add").status_code == 200
        accounting.permissions.remove(grant)
        db_session.commit()
        assert client.get("/dealtypeview/add").status_code != 200
    finally:
        if grant in accounting.permissions:
            accounting.permissions.remove(grant)
            db_session.commit()


def test_outside_a_request_the_rights_are_read_fresh(app, db_session):
    sm = app.appbuilder.sm
    accounting = sm.find_role("Accounting")
    user = sm.find_user(username="accounting")
    grant = sm.find_permission_view_menu("can_write", "DealType")
    assert not user_may(user, "can_write", "DealType")
    # Changed behind this session's back (as another process would): plain SQL.
    db_session.execute(
        db.text(
            "INSERT INTO ab_permission_view_role (id, permission_view_id, role_id) "
            "VALUES ((SELECT coalesce(max(id), 0) + 1 FROM ab_permission_view_role), :pv, :r)"
        ),
        {"pv": grant.id, "r": accounting.id},
    )
    db_session.commit()
    try:
        assert user_may(user.id, "can_write", "DealType")
    finally:
        db_session.execute(
            db.text(
                "DELETE FROM ab_permission_view_role WHERE permission_view_id = :pv "
                "AND role_id = :r"
            ),
            {"pv": grant.id, "r": accounting.id},
        )
        db_session.commit()
    assert not user_may(user.id, "can_write", "DealType")
