"""Refreshing billing statuses calls the providers: it needs its own right, which the
read-only profiles do not hold — on the deal page, the deal list, and in the job."""

from __future__ import annotations

import pytest

from app.models.sync import SyncRun
from app.services.errors import Forbidden
from app.services.sync import request_invoice, request_status_refresh
from tests.conftest import csrf_token, login
from tests.sync.conftest import user

CSRF_PAGE = "/resetmypassword/form"
REFRESH = ("can_refresh_statuses", "ProviderDocument")


def _signed_in(app, username):
    client = app.test_client()
    login(client, username)
    return client


def _post(client, url, **data):
    return client.post(url, data={"csrf_token": csrf_token(client, CSRF_PAGE), **data})


@pytest.mark.parametrize("username", ["readonly", "approver"])
def test_read_only_profiles_may_not_refresh(
    app, db_session, mf, jpy_deal, sandbox, redis_conn, username
):
    client = _signed_in(app, username)
    page = client.get(f"/dealview/show/{jpy_deal.id}").get_data(as_text=True)
    assert "provider-documents" in page and f"/dealview/refresh/{jpy_deal.id}" not in page
    listing = client.get("/dealview/list/").get_data(as_text=True)
    assert 'id="btn-refresh-all"' not in listing
    assert "refresh_billing" not in listing  # the bulk action is not offered either
    assert _post(client, f"/dealview/refresh/{jpy_deal.id}").status_code == 403
    assert _post(client, "/dealview/refresh_all").status_code == 403
    bulk = _post(client, "/dealview/action_post", action="refresh_billing", rowid=[jpy_deal.id])
    assert bulk.status_code in (302, 403)
    assert db_session.query(SyncRun).count() == 0
    assert sandbox.requests_to("/billings") == []
    with pytest.raises(Forbidden):
        request_status_refresh(user(app, username), [jpy_deal.id])


def test_accounting_refreshes(app, db_session, mf, jpy_deal, sandbox, redis_conn):
    client = _signed_in(app, "accounting")
    page = client.get(f"/dealview/show/{jpy_deal.id}").get_data(as_text=True)
    assert f"/dealview/refresh/{jpy_deal.id}" in page
    assert "refresh_billing" in client.get("/dealview/list/").get_data(as_text=True)
    assert _post(client, f"/dealview/refresh/{jpy_deal.id}").status_code == 302
    assert db_session.query(SyncRun).filter_by(kind="refresh_statuses").count() == 1


def test_right_lost_before_the_job_runs_calls_no_provider(
    app, db_session, mf, jpy_deal, sandbox, run_jobs
):
    request_invoice(jpy_deal, mf, user(app))
    run_jobs()
    sm = app.appbuilder.sm
    role = sm.find_role("Accounting")
    grant = sm.find_permission_view_menu(*REFRESH)
    assert grant in role.permissions
    run = request_status_refresh(user(app, "accounting"), [jpy_deal.id])
    role.permissions.remove(grant)  # an administrator narrows the profile meanwhile
    db_session.commit()
    try:
        before = len(sandbox.requests_to("/billings"))
        run_jobs()
        db_session.expire_all()
        run = db_session.get(SyncRun, run.id)
        assert run.status == "failed" and run.failures
        assert "refresh" in run.message.lower() or "更新" in run.message
        assert len(sandbox.requests_to("/billings")) == before
    finally:
        role.permissions.append(grant)
        db_session.commit()
