"""Customer and product sync against the sandboxes over HTTP: every option of a
connection's setting, idempotency, conflicts both ways, currency refusal, Fetch."""

from __future__ import annotations

import json
import time
from datetime import UTC
from decimal import Decimal

import pytest

from app.models.crm import Company, Contact, Deal, Product
from app.models.customer_sync import ContactLink, ProductLink, SyncOutcome
from app.models.sync import PartnerLink, SyncRun
from app.services.errors import RenkeiError
from app.services.sync import customer_runs
from app.services.sync.clients import client_for
from tests.sync.conftest import user


def _sync(app, db_session, connection, run_jobs, **settings) -> SyncRun:
    if settings:
        customer_runs.save_settings(connection, None, **settings)
    run = customer_runs.request_customer_sync(connection, user(app))
    run_jobs()
    db_session.expire_all()
    return db_session.get(SyncRun, run.id)


def _outcomes(db_session, run) -> list[tuple[str, str, str]]:
    rows = db_session.query(SyncOutcome).filter_by(run_id=run.id).order_by(SyncOutcome.id)
    return [
        (o.record_kind, o.outcome, o.label) + ((o.message,) if o.outcome == "failed" else ())
        for o in rows
    ]


def test_companies_go_to_each_provider_once(app, db_session, at, sample, run_jobs):
    run = _sync(app, db_session, at.connection, run_jobs)
    assert run.status == "finished", run.message
    assert (run.created, run.updated, run.failed) == (2, 0, 0)
    assert len(at.posts("customer")) == 2
    assert db_session.query(PartnerLink).count() == 2
    again = _sync(app, db_session, at.connection, run_jobs)
    assert (again.created, again.updated) == (0, 0) and again.api_calls <= 1
    assert len(at.posts("customer")) == 2
    sakura = db_session.get(Company, sample["sakura"].id)
    sakura.phone = "03-1234-5678"
    db_session.commit()
    changed = _sync(app, db_session, at.connection, run_jobs)
    assert (changed.created, changed.updated) == (0, 1)
    assert len(at.posts("customer")) == 2


def test_a_run_killed_after_the_create_adopts_its_record(app, db_session, mf, sample, run_jobs):
    _sync(app, db_session, mf, run_jobs)
    # The provider holds both; we "lost" the links (worker killed before it saved them).
    db_session.query(PartnerLink).delete()
    db_session.commit()
    run = _sync(app, db_session, mf, run_jobs)
    assert (run.created, run.updated) == (0, 2), _outcomes(db_session, run)
    partners = client_for(mf)[0].list_partners()["data"]
    assert len(partners) == 2


def _mf_partner(mf, **body) -> dict:
    client, _session = client_for(mf)
    return client.create_partner(body)


def test_provider_customers_come_in_and_duplicates_skip(app, db_session, mf, sample, run_jobs):
    _mf_partner(mf, name="(株)さくら商事", code="X-9", departments=[{"tel": "0312345678"}])
    _mf_partner(mf, name="新規商店", code="N-1", departments=[{"email": "n@example.jp"}])
    run = _sync(app, db_session, mf, run_jobs, extent="from_provider", duplicates="skip")
    assert run.status == "finished", run.message
    assert (run.created, run.skipped) == (1, 1), _outcomes(db_session, run)
    new = db_session.query(Company).filter_by(code="N-1").one()
    assert new.name == "新規商店" and new.email == "n@example.jp"
    assert db_session.query(Company).filter(Company.name.like("%さくら%")).count() == 1


def test_overwrite_merges_duplicates_keeping_deals(app, db_session, mf, sample, run_jobs):
    twin = Company(code="C-1b", name="株式会社 さくら商事")  # 全角 space: the same name
    db_session.add(twin)
    db_session.add(
        Deal(title="双子の商談", company=twin, stage="won", currency="JPY", amount=Decimal(1))
    )
    db_session.commit()
    _mf_partner(mf, name="㈱さくら商事", code="X-9", departments=[{"tel": "0399999999"}])
    run = _sync(app, db_session, mf, run_jobs, extent="from_provider", duplicates="overwrite")
    assert (run.created, run.updated) == (0, 1), _outcomes(db_session, run)
    (kept,) = db_session.query(Company).filter(Company.name.like("%さくら%")).all()
    assert kept.id == sample["sakura"].id and kept.phone == "0399999999"
    assert sorted(d.title for d in kept.deals) == ["会計システム導入", "双子の商談"]
    assert db_session.query(PartnerLink).filter_by(company_id=kept.id).count() == 1
    from app.models.audit import AuditEntry

    trail = db_session.query(AuditEntry).filter_by(action="customer_sync", field="company:C-1")
    assert {e.new_value for e in trail} >= {"merge", "from_provider updated"}
    assert any("C-1b" in (e.note or "") for e in trail)


def _both_ways_linked(app, db_session, mf, run_jobs):
    run = _sync(app, db_session, mf, run_jobs, extent="both")
    assert run.created == 2, _outcomes(db_session, run)
    return db_session.query(PartnerLink).join(Company).filter(Company.code == "C-1").one()


def test_conflict_renkei_later_wins_and_provider_values_kept(app, db_session, mf, sample, run_jobs):
    link = _both_ways_linked(app, db_session, mf, run_jobs)
    client, _session = client_for(mf)
    client.update_partner(link.external_id, {"name": "さくら商事(先方)"})
    time.sleep(1.1)  # the provider's clock counts seconds
    sakura = db_session.get(Company, sample["sakura"].id)
    sakura.name = "さくら商事(当方)"
    db_session.commit()
    run = _sync(app, db_session, mf, run_jobs)
    conflict = db_session.query(SyncOutcome).filter_by(run_id=run.id, outcome="conflict").one()
    assert conflict.direction == "to_provider"
    assert json.loads(conflict.loser)["name"] == "さくら商事(先方)"
    assert client.get_partner(link.external_id)["name"] == "さくら商事(当方)"


def test_a_change_there_in_the_second_of_our_push_is_not_lost(
    app, db_session, mf, sample, run_jobs
):
    """Money Forward stamps whole seconds: a change there in the same second as our last
    push carries the stamp we kept. It is still taken in (its values differ)."""
    link = _both_ways_linked(app, db_session, mf, run_jobs)
    client, _session = client_for(mf)
    changed = client.update_partner(link.external_id, {"name": "さくら商事(先方)"})
    from app.providers.wire_values import parse_datetime

    stamp = parse_datetime(changed["updated_at"], "updated_at", "moneyforward")
    link = db_session.get(PartnerLink, link.id)
    link.provider_updated_at = stamp.astimezone(UTC).replace(tzinfo=None)  # same second
    db_session.commit()
    _sync(app, db_session, mf, run_jobs)
    db_session.expire_all()
    assert db_session.get(Company, sample["sakura"].id).name == "さくら商事(先方)"


def test_conflict_provider_later_wins_and_renkei_values_kept(app, db_session, mf, sample, run_jobs):
    link = _both_ways_linked(app, db_session, mf, run_jobs)
    sakura = db_session.get(Company, sample["sakura"].id)
    sakura.name = "さくら商事(当方)"
    db_session.commit()
    time.sleep(1.1)
    client, _session = client_for(mf)
    client.update_partner(link.external_id, {"name": "さくら商事(先方)"})
    run = _sync(app, db_session, mf, run_jobs)
    conflict = db_session.query(SyncOutcome).filter_by(run_id=run.id, outcome="conflict").one()
    assert conflict.direction == "from_provider"
    assert json.loads(conflict.loser)["name"] == "さくら商事(当方)"
    assert db_session.get(Company, sample["sakura"].id).name == "さくら商事(先方)"
    assert client.get_partner(link.external_id)["name"] == "さくら商事(先方)"


def test_saved_filter_chooses_the_companies(app, db_session, mf, sample, run_jobs):
    saved = json.dumps({"_flt_2_name": "さくら"})  # name contains
    run = _sync(app, db_session, mf, run_jobs, company_filter=saved)
    assert [o[2] for o in _outcomes(db_session, run)] == ["株式会社さくら商事"]


def test_currency_refused_in_words(app, db_session, at, sample, run_jobs):
    at.connection.base_currency = "USD"
    db_session.commit()
    run = _sync(app, db_session, at.connection, run_jobs)
    assert run.status == "failed"
    assert "USD" in run.message and "JPY" in run.message
    assert at.posts("customer") == []


def test_products_map_automatically_both_ways(app, db_session, at, sample, run_jobs):
    run = _sync(app, db_session, at.connection, run_jobs, sync_products=True, product_extent="both")
    assert run.status == "finished", run.message
    assert db_session.query(ProductLink).count() == 2, _outcomes(db_session, run)
    client, _session = client_for(at.connection)
    items = list(client.iter_items())
    assert sorted(i["name"] for i in items) == ["お弁当", "導入支援"]
    body = {"name": "保守", "rate": "5000"} if at.provider == "zoho" else {"name": "保守"}
    if at.provider == "moneyforward":
        body.update(price=5000, excise="ten_percent", code="M-1")
    client.create_item(body)
    again = _sync(app, db_session, at.connection, run_jobs)
    made = db_session.query(Product).filter_by(name="保守").one()
    if at.provider != "freee":  # freee's 品目 has no price
        assert made.unit_price == Decimal("5000")
    assert again.created >= 1


def test_contacts_go_as_departments(app, db_session, mf, sample, run_jobs):
    run = _sync(app, db_session, mf, run_jobs, modules="companies_contacts")
    assert ("contact", "created", "佐藤 花子") in _outcomes(db_session, run)
    link = db_session.query(ContactLink).one()
    client, _session = client_for(mf)
    departments = client.list_departments(link.parent_external_id)
    assert "佐藤 花子" in [d.get("person_name") for d in departments]


def test_field_mapping_carries_a_custom_field(app, db_session, mf, sample, run_jobs):
    sakura = db_session.get(Company, sample["sakura"].id)
    sakura.custom_fields = json.dumps({"industry": "卸売"})
    db_session.commit()
    rows = [{"ours": "custom:industry", "theirs": "memo"}]
    _sync(app, db_session, mf, run_jobs, field_map=rows)
    link = db_session.query(PartnerLink).filter_by(company_id=sakura.id).one()
    client, _session = client_for(mf)
    assert client.get_partner(link.external_id)["memo"] == "卸売"
    too_many = [{"ours": f"custom:f{i}", "theirs": "memo"} for i in range(11)]
    with pytest.raises(RenkeiError):
        customer_runs.save_settings(mf, None, field_map=too_many)


def test_fetch_from_provider_takes_one_in(app, db_session, mf, sample, run_jobs):
    _mf_partner(mf, name="検索商事", code="S-1", departments=[{"tel": "0311112222"}])
    found = customer_runs.search_provider(mf, user(app), "検索")
    assert [r.name for r in found] == ["検索商事"]
    company = customer_runs.take_in(mf, user(app), found[0].external_id)
    assert company.code == "S-1" and company.phone == "0311112222"
    assert customer_runs.take_in(mf, user(app), found[0].external_id).id == company.id


def test_paused_refuses_and_resume_runs(app, db_session, mf, sample, run_jobs):
    customer_runs.set_paused(mf, None, True)
    with pytest.raises(RenkeiError):
        customer_runs.request_customer_sync(mf, user(app))
    customer_runs.set_paused(mf, None, False)
    assert _sync(app, db_session, mf, run_jobs).status == "finished"


def test_contacts_of_a_company_come_in_from_the_provider(app, db_session, mf, sample, run_jobs):
    _mf_partner(
        mf,
        name="人あり商会",
        code="H-1",
        departments=[{"tel": "0300000000"}, {"person_name": "山田 太郎", "email": "t@example.jp"}],
    )
    _sync(app, db_session, mf, run_jobs, extent="from_provider", modules="companies_contacts")
    company = db_session.query(Company).filter_by(code="H-1").one()
    assert [c.name for c in company.contacts] == ["山田 太郎"]
    assert db_session.query(Contact).filter_by(email="t@example.jp").count() == 1


# Only Zoho's API filters contacts on change time (Money Forward and freee list them all).
@pytest.mark.parametrize("at", ["zoho"], indirect=True)
def test_zoho_pull_asks_only_for_changes(app, db_session, at, sample, run_jobs):
    _sync(app, db_session, at.connection, run_jobs, extent="from_provider")
    _sync(app, db_session, at.connection, run_jobs)
    asked = at.box.requests_to("/contacts", "GET")
    assert any("last_modified_time" in json.dumps(r) for r in asked)


def test_schedule_queues_a_run_when_due_and_not_when_paused(app, db_session, mf, sample, run_jobs):
    import datetime as dt

    customer_runs.save_settings(mf, None, schedule_minutes=60)
    assert [s.connection_id for s in customer_runs.due_connections()] == [mf.id]
    queued = customer_runs.run_due_syncs()
    run_jobs()
    assert db_session.get(SyncRun, queued[0]).status == "finished"
    db_session.expire_all()
    assert customer_runs.due_connections() == []  # ran just now
    later = customer_runs.settings_of(mf).last_run_at + dt.timedelta(minutes=61)
    assert len(customer_runs.due_connections(later)) == 1
    customer_runs.set_paused(mf, None, True)
    assert customer_runs.due_connections(later) == []


def _zoho(db_session, live_server, box_reset=True):
    from tests.sync.conftest import Sandbox, make_connected

    box = Sandbox(live_server.url, "zoho")
    box.reset()
    return make_connected(db_session, live_server.url, "zoho", "Zoho customers"), box


def test_zoho_contacts_go_as_contact_persons_and_individuals_come_in(
    app, db_session, live_server, sample, run_jobs
):
    connection, box = _zoho(db_session, live_server)
    try:
        run = _sync(app, db_session, connection, run_jobs, modules="companies_contacts")
        assert ("contact", "created", "佐藤 花子") in _outcomes(db_session, run)
        client, _session = client_for(connection)
        link = db_session.query(PartnerLink).join(Company).filter(Company.code == "C-1").one()
        persons = client.get_contact(link.external_id)["contact_persons"]
        assert [p["email"] for p in persons] == ["hanako@example.com"]
        client.create_contact(
            {
                "contact_name": "個人 一郎",
                "customer_sub_type": "individual",
                "email": "i@example.jp",
            }
        )
        skipped = _sync(app, db_session, connection, run_jobs, extent="from_provider")
        assert db_session.query(Company).filter_by(name="個人 一郎").count() == 0, skipped.message
        _sync(app, db_session, connection, run_jobs, include_orphan_contacts=True)
        person = db_session.query(Company).filter_by(name="個人 一郎").one()
        assert [c.email for c in person.contacts] == ["i@example.jp"]
    finally:
        box.reset()
        from tests.sync.conftest import _wipe

        _wipe(db_session)


def test_contact_filter_and_contacts_module(app, db_session, mf, sample, run_jobs):
    extra = Contact(company=sample["sakura"], name="対象外 次郎", email="jiro@example.com")
    db_session.add(extra)
    db_session.commit()
    saved = json.dumps({"_flt_2_email": "hanako"})  # email contains
    run = _sync(app, db_session, mf, run_jobs, modules="contacts", contact_filter=saved)
    outcomes = _outcomes(db_session, run)
    assert ("contact", "created", "佐藤 花子") in outcomes
    assert all("次郎" not in o[2] for o in outcomes)
    assert all(o[2] != "Acme Trading Ltd." for o in outcomes)  # no contacts: not sent


def test_two_runs_at_once_make_one_record_each(app, db_session, mf, sample, run_jobs):
    """Two syncs released together (threads, each its own session) push each company
    once: the provider holds one partner per company, one link each."""
    import threading

    from app.extensions import db
    from app.models.connection import Connection

    customer_runs.settings_of(mf)
    barrier = threading.Barrier(2)
    runs, errors = [], []

    def worker():
        with app.app_context():
            try:
                connection = db.session.get(Connection, mf.id)
                run = SyncRun(kind="customer_sync", connection_id=connection.id)
                db.session.add(run)
                db.session.commit()
                barrier.wait()
                runs.append(customer_runs.perform_customer_sync(run.id).id)
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    db_session.expire_all()
    partners = client_for(mf)[0].list_partners()["data"]
    assert sorted(p["code"] for p in partners) == ["C-1", "C-2"]
    assert db_session.query(PartnerLink).count() == 2
