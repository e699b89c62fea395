"""Customer sync screens, in English: the five-step settings page, Sync now, the
importing history with outcomes and Retry, Fetch from provider and take in."""

from __future__ import annotations

import json

from app.models.crm import Company
from app.models.customer_sync import SyncOutcome
from app.models.sync import SyncRun
from app.services.sync import customer_runs
from app.services.sync.clients import client_for
from tests.conftest import csrf_token, login


def _client(app, username="admin"):
    client = app.test_client()
    login(client, username)
    return client


def _post(client, url, data=None, form=None):
    token = csrf_token(client, form or "/resetmypassword/form")
    return client.post(url, data={"csrf_token": token, **(data or {})})


def test_settings_walk_the_five_steps_and_save(app, db_session, mf, sample):
    admin = _client(app)
    page = admin.get(f"/customersync/{mf.id}/settings?_l_=en").get_data(as_text=True)
    for step in ("Step 1: Modules", "Step 2: Extent", "Step 3: Duplicates", "Step 4", "Step 5"):
        assert step in page
    response = _post(
        admin,
        f"/customersync/{mf.id}/settings",
        {
            "modules": "companies_contacts",
            "extent": "both",
            "duplicates": "overwrite",
            "company_filter": '{"_flt_2_name": "さくら"}',
            "field_map": "custom:industry = memo\nphone = tel",
            "sync_products": "1",
            "product_extent": "to_provider",
            "schedule_minutes": "60",
        },
    )
    assert response.status_code == 302
    db_session.expire_all()
    setting = customer_runs.settings_of(mf)
    assert (setting.modules, setting.extent, setting.duplicates) == (
        "companies_contacts",
        "both",
        "overwrite",
    )
    assert json.loads(setting.field_map)[0] == {"ours": "custom:industry", "theirs": "memo"}
    assert setting.schedule_minutes == 60 and setting.sync_products
    accounting = _client(app, "accounting")  # reads and runs, does not change settings
    assert accounting.get(f"/customersync/{mf.id}/settings").status_code == 200
    assert _post(accounting, f"/customersync/{mf.id}/pause").status_code == 403


def test_sync_now_history_and_outcomes(app, db_session, mf, sample, run_jobs):
    accounting = _client(app, "accounting")
    response = _post(accounting, f"/customersync/{mf.id}/run")
    assert response.status_code == 302
    run_jobs()
    history = accounting.get(f"/customersync/{mf.id}/history?_l_=en").get_data(as_text=True)
    assert "customer-sync-run" in history
    run = db_session.query(SyncRun).filter_by(kind="customer_sync").one()
    shown = accounting.get(f"/customersync/run/{run.id}?_l_=en").get_data(as_text=True)
    assert "株式会社さくら商事" in shown and "Created" in shown


def test_a_failed_record_has_a_retry(app, db_session, mf, sample, run_jobs):
    bad = Company(code="BAD", name="郵便番号違い", postal_code="12")
    db_session.add(bad)
    db_session.commit()
    run = customer_runs.request_customer_sync(mf, None)
    run_jobs()
    failed = db_session.query(SyncOutcome).filter_by(run_id=run.id, outcome="failed").one()
    admin = _client(app)
    page = admin.get(f"/customersync/run/{run.id}").get_data(as_text=True)
    assert "btn-retry" in page
    bad = db_session.get(Company, bad.id)
    bad.postal_code = "100-0001"
    db_session.commit()
    assert _post(admin, f"/customersync/retry/{failed.id}").status_code == 302
    run_jobs()
    db_session.expire_all()
    retried = db_session.get(SyncOutcome, failed.id).retried_run_id
    assert db_session.get(SyncRun, retried).created == 1


def test_fetch_from_provider_and_take_in(app, db_session, mf, sample):
    client, _session = client_for(mf)
    client.create_partner(
        {"name": "画面取引先", "code": "G-1", "departments": [{"tel": "0300001111"}]}
    )
    admin = _client(app)
    found = admin.get(f"/customersync/{mf.id}/fetch?q=画面").get_data(as_text=True)
    assert "画面取引先" in found and "btn-take" in found
    partner = next(iter(client.iter_partners(name="画面")))
    response = _post(admin, f"/customersync/{mf.id}/take/{partner['id']}")
    assert response.status_code == 302 and "/companyview/show/" in response.headers["Location"]
    assert db_session.query(Company).filter_by(code="G-1").one().phone == "0300001111"
    assert "fetch-from-provider" in admin.get("/companyview/add").get_data(as_text=True)


def test_a_change_pushes_when_asked(app, db_session, mf, sample, run_jobs):
    customer_runs.save_settings(mf, None, run_after_change=True)
    admin = _client(app)
    form = "/companyview/add"
    response = _post(admin, form, {"code": "AC-1", "name": "変更即時商事"}, form=form)
    assert response.status_code == 302
    run_jobs()
    run = db_session.query(SyncRun).filter_by(kind="customer_sync").one()
    assert run.created == 1 and run.total == 1
