"""Custom fields: a provider field Renkei lacks, added on the customer-sync mapping page,
shown and edited on every company's form and page, checked, audited, and synced."""

from __future__ import annotations

import json
import threading

import pytest

from app.models.audit import AuditEntry
from app.models.crm import Company
from app.models.sync import PartnerLink
from app.services import custom_fields
from app.services.errors import InvalidInput
from app.services.sync import customer_runs
from app.services.sync.clients import client_for
from app.views.custom_fields import field_name
from tests.conftest import csrf_token, login
from tests.sync.conftest import user

START: dict[str, int] = {}


@pytest.fixture(autouse=True)
def _trail_start(db_session):
    START["id"] = (
        db_session.query(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(1).scalar() or 0
    )


def _client(app, username="admin"):
    client = app.test_client()
    login(client, username)
    client.get("/lang/en")
    return client


def _post(client, url, data, form):
    return client.post(url, data={"csrf_token": csrf_token(client, form), **data})


def _trail(db_session, company_code: str, name: str) -> list[AuditEntry]:
    """This test's lines (the trail outlives each test's data: ids after its start)."""
    return (
        db_session.query(AuditEntry)
        .filter_by(action="update", field=f"custom:{name}", note=f"company {company_code}")
        .filter(AuditEntry.id > START.get("id", 0))
        .order_by(AuditEntry.id)
        .all()
    )


def test_added_on_the_mapping_page_edited_on_the_company(app, db_session, mf, sample, run_jobs):
    admin = _client(app)
    settings = f"/customersync/{mf.id}/settings"
    assert "form-custom-field" in admin.get(settings).get_data(as_text=True)
    response = _post(
        admin, f"/customersync/{mf.id}/customfield", {"theirs": "memo", "name": "業種"}, settings
    )
    assert response.status_code == 302
    db_session.expire_all()
    rows = json.loads(customer_runs.settings_of(mf).field_map)
    assert rows == [{"ours": "custom:業種", "theirs": "memo"}]
    assert "業種" in admin.get(settings).get_data(as_text=True)

    sakura = sample["sakura"]
    edit = f"/companyview/edit/{sakura.id}"
    form = admin.get(edit).get_data(as_text=True)
    assert f'name="{field_name("業種")}"' in form
    data = {
        "code": sakura.code,
        "name": sakura.name,
        field_name("業種"): "  卸売  ",
    }
    assert _post(admin, edit, data, edit).status_code == 302
    db_session.expire_all()
    sakura = db_session.get(Company, sakura.id)
    assert json.loads(sakura.custom_fields) == {"業種": "卸売"}
    (line,) = _trail(db_session, sakura.code, "業種")
    assert (line.old_value, line.new_value, line.username) == (None, "卸売", "admin")
    assert 'value="卸売"' in admin.get(edit).get_data(as_text=True)  # filled on edit
    page = admin.get(f"/companyview/show/{sakura.id}").get_data(as_text=True)
    assert 'id="custom-fields"' in page and "卸売" in page
    assert '{"業種"' not in page  # the stored JSON is not shown as such

    # Saved again unchanged: no new line in the trail; emptied: one more.
    assert _post(admin, edit, data, edit).status_code == 302
    assert len(_trail(db_session, sakura.code, "業種")) == 1
    assert _post(admin, edit, {**data, field_name("業種"): ""}, edit).status_code == 302
    db_session.expire_all()
    assert json.loads(db_session.get(Company, sakura.id).custom_fields) == {}
    assert [(e.old_value, e.new_value) for e in _trail(db_session, sakura.code, "業種")] == [
        (None, "卸売"),
        ("卸売", None),
    ]


def test_a_new_company_takes_its_custom_fields_and_the_provider_gets_them(
    app, db_session, mf, sample, run_jobs
):
    customer_runs.add_custom_field(mf, user(app), "memo", "industry")
    admin = _client(app)
    form = "/companyview/add"
    data = {"code": "CF-1", "name": "項目商事", field_name("industry"): "製造"}
    assert _post(admin, form, data, form).status_code == 302
    company = db_session.query(Company).filter_by(code="CF-1").one()
    assert custom_fields.values_of(company) == {"industry": "製造"}
    assert len(_trail(db_session, "CF-1", "industry")) == 1
    run = customer_runs.request_customer_sync(mf, user(app))
    run_jobs()
    link = db_session.query(PartnerLink).filter_by(company_id=company.id).one()
    assert client_for(mf)[0].get_partner(link.external_id)["memo"] == "製造", run.id


def test_values_are_checked(app, db_session, mf, sample):
    customer_runs.add_custom_field(mf, user(app), "memo", "industry")
    admin = _client(app)
    sakura = sample["sakura"]
    edit = f"/companyview/edit/{sakura.id}"
    data = {"code": sakura.code, "name": sakura.name, field_name("industry"): "x" * 201}
    page = _post(admin, edit, data, edit)
    assert page.status_code == 200  # the form again, with its error
    assert "200" in page.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(Company, sakura.id).custom_fields is None
    with pytest.raises(InvalidInput):
        custom_fields.set_values(sakura, {"industry": "a\nb"}, None)
    with pytest.raises(InvalidInput):
        custom_fields.set_values(sakura, {"no such": "x"}, None)
    for bad in ("two words", "a:b", "x" * 41):
        with pytest.raises(InvalidInput):
            customer_runs.add_custom_field(mf, user(app), "memo", bad)


def test_at_most_ten_in_all(app, db_session, mf, sample):
    for i in range(10):
        customer_runs.add_custom_field(mf, user(app), f"f{i}")
    with pytest.raises(InvalidInput):
        customer_runs.add_custom_field(mf, user(app), "f10")
    rows = json.loads(customer_runs.settings_of(mf).field_map)
    with pytest.raises(InvalidInput):
        customer_runs.save_settings(
            mf, None, field_map=rows + [{"ours": "custom:f11", "theirs": "x"}]
        )
    db_session.rollback()
    assert len(custom_fields.defined()) == 10
    admin = _client(app)
    page = admin.get(f"/customersync/{mf.id}/settings").get_data(as_text=True)
    assert "(10 / 10)" in page


def test_only_who_may_change_the_settings_adds_one(app, db_session, mf, sample):
    accounting = _client(app, "accounting")
    settings = f"/customersync/{mf.id}/settings"
    response = _post(accounting, f"/customersync/{mf.id}/customfield", {"theirs": "x"}, settings)
    assert response.status_code == 403
    assert custom_fields.defined() == []


def _together(app, count, work):
    """``work()`` in ``count`` threads released at once, each in its own session."""
    from app.extensions import db

    barrier = threading.Barrier(count)
    results, errors = [], []

    def one():
        with app.app_context():
            try:
                barrier.wait()
                results.append(work())
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=one) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    return results


def test_the_same_field_added_at_once_is_added_once(app, db_session, mf, sample):
    from app.extensions import db
    from app.models.connection import Connection

    before = db_session.query(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(1).scalar() or 0

    def add():
        connection = db.session.get(Connection, mf.id)
        return customer_runs.add_custom_field(connection, user(app), "memo", "業種")

    assert _together(app, 5, add) == ["業種"] * 5
    db_session.expire_all()
    assert json.loads(customer_runs.settings_of(mf).field_map) == [
        {"ours": "custom:業種", "theirs": "memo"}
    ]
    trail = db_session.query(AuditEntry).filter_by(action="customer_sync", field="custom:業種")
    assert trail.filter(AuditEntry.id > before).count() == 1


def test_the_same_value_saved_at_once_is_one_change(app, db_session, mf, sample):
    from app.extensions import db

    customer_runs.add_custom_field(mf, user(app), "memo", "industry")
    sakura_id, code = sample["sakura"].id, sample["sakura"].code

    def save():
        company = db.session.get(Company, sakura_id)
        changed = custom_fields.set_values(company, {"industry": "小売"}, user(app))
        db.session.commit()
        return changed

    results = _together(app, 5, save)
    assert sorted(results) == [[], [], [], [], ["industry"]]
    db_session.expire_all()
    assert custom_fields.values_of(db_session.get(Company, sakura_id)) == {"industry": "小売"}
    assert len(_trail(db_session, code, "industry")) == 1
