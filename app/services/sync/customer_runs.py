"""Customer-sync runs: settings of a connection, start (on demand, on a schedule, after
a change), pause and resume, the run's work in a job, Retry of a failed record, and
"Fetch from provider" (take one customer in without a full sync).

Rights: "CustomerSync" — ``can_write`` to change settings, ``can_run`` to start a run
or take a customer in, ``can_list`` to read the history (app/security/permissions.py).
"""

from __future__ import annotations

import json
from datetime import timedelta
from types import SimpleNamespace

from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models.audit import AuditEntry
from app.models.connection import Connection
from app.models.crm import Company, Contact, utcnow
from app.models.customer_sync import CustomerSyncSetting, SyncOutcome
from app.models.sync import ACTIVE_RUN_STATUSES, PartnerLink, SyncRun
from app.providers.errors import ProviderError
from app.security.rights import user_may
from app.services import custom_fields, launchers
from app.services.errors import Forbidden, InvalidInput, RenkeiError
from app.services.locking import lock
from app.services.sync import runs
from app.services.sync.clients import adapter_for
from app.services.sync.customers import CurrencyMismatch, CustomerSync, check_currency, naive_utc
from app.services.sync.products import ProductSync

JOB = "customer_sync"
KIND = "customer_sync"
RUN = ("can_run", "CustomerSync")
EDIT = ("can_write", "CustomerSync")


def settings_of(connection: Connection) -> CustomerSyncSetting:
    """The connection's customer-sync setting (made with the defaults on first use)."""
    setting = db.session.query(CustomerSyncSetting).filter_by(connection_id=connection.id).first()
    if setting is None:
        setting = CustomerSyncSetting(
            connection=connection,
            modules="companies",
            extent="to_provider",
            duplicates="skip",
            product_extent="to_provider",
            include_orphan_contacts=False,
            sync_products=False,
            paused=False,
            run_after_change=False,
        )
        db.session.add(setting)
        try:
            db.session.commit()
        except IntegrityError:  # made by another request at the same moment: use theirs
            db.session.rollback()
            setting = (
                db.session.query(CustomerSyncSetting).filter_by(connection_id=connection.id).one()
            )
    return setting


def _check(user, right) -> None:
    if user is not None and not user_may(user, *right):
        raise Forbidden(_("You are not allowed to do this with customer sync."))


def save_settings(connection: Connection, user, **values) -> CustomerSyncSetting:
    """Change the connection's setting (only the fields given)."""
    _check(user, EDIT)
    setting = settings_of(connection)
    for key, value in values.items():
        if not hasattr(CustomerSyncSetting, key) or key in ("id", "connection_id"):
            raise InvalidInput(_("Unknown setting %(name)s.", name=key))
        if key == "field_map" and not isinstance(value, str):
            value = json.dumps(value, ensure_ascii=False)
        setattr(setting, key, value)
    from app.services.sync.customers import field_rows

    custom_fields.check_mapping(setting, field_rows(setting))  # at most 10 custom fields
    db.session.commit()
    return setting


def add_custom_field(connection: Connection, user, theirs: str, name: str = "") -> str:
    """A provider field Renkei lacks, added as a custom field of ours (``name``, else the
    provider's field name) and mapped to it; the custom field's name. Once: adding the
    same again (a second click) changes nothing."""
    _check(user, EDIT)
    theirs = (theirs or "").strip()
    if not theirs or len(theirs) > 100:
        raise InvalidInput(_("Name the provider's field (at most 100 characters)."))
    name = custom_fields.check_name(name or theirs)
    settings_of(connection)
    setting = lock(settings_of(connection))
    rows = json.loads(setting.field_map or "[]")
    if any(row.get("ours") == custom_fields.PREFIX + name for row in rows):
        db.session.rollback()
        return name
    rows.append({"ours": custom_fields.PREFIX + name, "theirs": theirs})
    custom_fields.check_mapping(setting, rows)
    setting.field_map = json.dumps(rows, ensure_ascii=False)
    db.session.add(
        AuditEntry(
            at=utcnow(),
            user_id=getattr(user, "id", None),
            username=getattr(user, "username", None) or "system",
            action="customer_sync",
            field=f"{custom_fields.PREFIX}{name}"[:50],
            new_value=theirs,
            note=_("Custom field added for %(connection)s.", connection=connection.name),
        )
    )
    db.session.commit()
    return name


def set_paused(connection: Connection, user, paused: bool) -> CustomerSyncSetting:
    """Pause (no run starts, queued ones end at once) or resume."""
    return save_settings(connection, user, paused=paused)


def _active(connection_id: int) -> SyncRun | None:
    return (
        db.session.query(SyncRun)
        .filter(SyncRun.kind == KIND, SyncRun.connection_id == connection_id)
        .filter(SyncRun.status.in_(ACTIVE_RUN_STATUSES))
        .first()
    )


def request_customer_sync(connection, user, company_ids: list[int] | None = None) -> SyncRun:
    """Queue a run (``company_ids``: only these companies, Renkei → provider)."""
    _check(user, RUN)
    settings_of(connection)
    setting = lock(settings_of(connection))  # two clicks at once: one run
    if setting.paused:
        db.session.rollback()
        raise RenkeiError(_("Customer sync of %(name)s is paused.", name=connection.name))
    active = _active(connection.id)
    if active is not None and company_ids is None:
        db.session.rollback()
        return active
    run = SyncRun(
        kind=KIND,
        connection_id=connection.id,
        started_by_id=getattr(user, "id", None),
        deal_ids=json.dumps({"companies": company_ids}) if company_ids else None,
    )
    db.session.add(run)
    db.session.commit()
    try:
        handle = launchers.launch(JOB, run.id)
    except Exception as exc:  # Redis down …: nothing was sent anywhere
        runs.end_crashed(run.id, exc)
        raise RenkeiError(
            _("The work could not be queued (%(error)s); try again later.", error=str(exc))
        ) from exc
    run.job_id = getattr(handle, "id", None)
    db.session.commit()
    return run


def after_company_change(company: Company) -> list[SyncRun]:
    """A company was saved: push it where a connection asks for it after each change."""
    queued = []
    for setting in db.session.query(CustomerSyncSetting).filter_by(
        run_after_change=True, paused=False
    ):
        if setting.extent in ("to_provider", "both"):
            queued.append(request_customer_sync(setting.connection, None, [company.id]))
    return queued


def due_connections(now=None) -> list[CustomerSyncSetting]:
    """Settings whose schedule says a run is due (not paused, none running)."""
    now = now or utcnow()
    due = []
    for setting in db.session.query(CustomerSyncSetting).filter(
        CustomerSyncSetting.schedule_minutes.isnot(None), CustomerSyncSetting.paused.is_(False)
    ):
        last = setting.last_run_at
        if last is None or now - last >= timedelta(minutes=setting.schedule_minutes):
            if _active(setting.connection_id) is None:
                due.append(setting)
    return due


def run_due_syncs() -> list[int]:
    """Queue a run for every connection whose schedule is due (the cron job's work)."""
    return [request_customer_sync(s.connection, None).id for s in due_connections()]


def perform_customer_sync(run_id: int) -> SyncRun:
    """The job's work: one run, start to finish (failures per record are outcomes)."""
    run = db.session.get(SyncRun, run_id)
    connection = run.connection
    setting = settings_of(connection)
    if setting.paused:
        runs.finish(run, _("Not run: customer sync is paused."), failed=True)
        return run
    runs.start(run)
    setting.last_run_at = utcnow()
    db.session.commit()
    adapter, session = adapter_for(connection)
    try:
        check_currency(connection, adapter)
    except CurrencyMismatch as exc:
        run.api_calls = session.calls
        runs.finish(run, str(exc), failed=True)
        return run
    chosen = json.loads(run.deal_ids) if run.deal_ids else {}
    only = chosen.get("companies")
    sync = CustomerSync(run, setting, adapter)
    if chosen.get("retry"):
        _retry_one(sync, chosen["retry"])
    else:
        sync.run_all(only)
        if setting.sync_products and only is None:
            ProductSync(sync).run_all()
    run.api_calls = session.calls
    message = _(
        "%(created)d created, %(updated)d updated, %(skipped)d skipped, %(failed)d failed.",
        created=run.created or 0,
        updated=run.updated or 0,
        skipped=run.skipped or 0,
        failed=run.failed or 0,
    )
    runs.finish(run, message)
    return run


def retry_outcome(outcome: SyncOutcome, user) -> SyncRun:
    """Run just the record of a failed outcome again, in a run of its own.

    Idempotent: the outcome's row is locked, so of N Retry clicks at once the first
    queues the run and the others get that same run (``retried_run_id``).
    """
    _check(user, RUN)
    outcome = lock(outcome)
    if outcome.retried_run_id is not None:
        run = db.session.get(SyncRun, outcome.retried_run_id)
        db.session.rollback()
        return run
    if outcome.outcome != "failed":
        db.session.rollback()
        raise InvalidInput(_("Only a failed record can be retried."))
    connection = outcome.run.connection
    if settings_of(connection).paused:
        db.session.rollback()
        raise RenkeiError(_("Customer sync of %(name)s is paused.", name=connection.name))
    run = SyncRun(
        kind=KIND,
        connection_id=connection.id,
        started_by_id=getattr(user, "id", None),
        deal_ids=json.dumps({"retry": outcome.id}),
    )
    db.session.add(run)
    db.session.flush()
    outcome.retried_run_id = run.id
    db.session.commit()  # the lock ends here: later clicks see the run
    try:
        handle = launchers.launch(JOB, run.id)
    except Exception as exc:  # Redis down …: nothing was sent anywhere
        runs.end_crashed(run.id, exc)
        raise RenkeiError(
            _("The work could not be queued (%(error)s); try again later.", error=str(exc))
        ) from exc
    run.job_id = getattr(handle, "id", None)
    db.session.commit()
    return run


def _retry_one(sync: CustomerSync, outcome_id: int) -> None:
    """The record of one failed outcome, again, in the direction it failed in."""
    outcome = db.session.get(SyncOutcome, outcome_id)
    kind, record_id, external_id = outcome.record_kind, outcome.record_id, outcome.external_id
    if kind == "contact" and record_id:  # a contact goes with its company
        contact = db.session.get(Contact, record_id)
        kind, record_id = "company", contact.company_id if contact else None
    products = ProductSync(sync)
    if outcome.direction == "to_provider" and record_id:
        if kind == "company":
            sync.push([record_id])
        else:
            products.push([record_id])
        return
    sync.run.total = 1  # a push counts its own
    try:
        if kind == "company":
            sync.pull_one(sync.adapter.get_customer(external_id))
        else:
            products.pull_one(external_id)
    except ProviderError as exc:
        db.session.rollback()
        same = SimpleNamespace(external_id=external_id, name=outcome.label)
        sync.outcome(kind, "failed", "from_provider", remote=same, message=str(exc))
    db.session.commit()


def search_provider(connection, user, text: str):
    """The provider's customers whose name contains ``text``."""
    _check(user, RUN)
    if not (text or "").strip():
        return []
    adapter, _session = adapter_for(connection)
    return adapter.search_customers(text.strip())


def take_in(connection, user, external_id: str) -> Company:
    """One provider customer as a Renkei company, linked (an existing link is reused)."""
    _check(user, RUN)
    link = (
        db.session.query(PartnerLink)
        .filter_by(connection_id=connection.id, external_id=str(external_id))
        .first()
    )
    if link is not None:
        return link.company
    adapter, _session = adapter_for(connection)
    check_currency(connection, adapter)
    remote = adapter.get_customer(str(external_id))
    run = SyncRun(kind=KIND, connection_id=connection.id, started_by_id=getattr(user, "id", None))
    db.session.add(run)
    db.session.flush()
    sync = CustomerSync(run, settings_of(connection), adapter)
    company = Company(code=sync._free_code(remote))
    sync.apply_remote(company, remote)
    db.session.add(company)
    db.session.flush()
    db.session.add(
        PartnerLink(
            connection_id=connection.id,
            company_id=company.id,
            external_id=remote.external_id,
            department_id=remote.department_id,
            pushed_fingerprint=sync.fingerprint(company),
            provider_updated_at=naive_utc(remote.updated_at),
        )
    )
    sync.pull_persons(company, remote)
    sync.outcome("company", "created", "from_provider", company, remote, _("Fetched by hand."))
    runs.finish(run, _("Fetched %(name)s from the provider.", name=company.name))
    return company
