"""What users ask for: create an invoice, refresh statuses, retry a failure.

Checks happen here, synchronously, with messages a back-office person understands;
the work itself is queued (app.jobs.sync, through the launchers it hands over) and
re-checks the user's rights when it runs.
"""

from __future__ import annotations

import json
import uuid
from decimal import Decimal

from flask_babel import gettext as _

from app.extensions import db
from app.models.connection import Connection
from app.models.crm import Deal
from app.models.sync import ACTIVE_RUN_STATUSES, ExternalDocument, SyncFailure, SyncRun
from app.providers.registry import entry
from app.security.rights import CREATE_AT_PROVIDER, REFRESH_STATUSES, user_may
from app.services import launchers
from app.services.errors import Forbidden, InvalidInput, RenkeiError
from app.services.locking import lock
from app.services.sync import runs
from app.services.sync.adapters import ADAPTERS
from app.services.sync.status import refresh_deal_status

# The launchers (app.services.launchers) that queue the jobs of app/jobs/sync.py.
CREATE_JOB = "create_invoice_job"
REFRESH_JOB = "refresh_statuses_job"


def check_invoice_allowed(deal, connection, user) -> None:
    """Raise Forbidden/InvalidInput unless ``user`` may invoice ``deal`` at ``connection``."""
    if not user_may(user, *CREATE_AT_PROVIDER):
        raise Forbidden(_("You are not allowed to create documents at the provider."))
    if connection.status != "connected":
        raise InvalidInput(
            _(
                "The connection %(name)s is not active (%(status)s).",
                name=connection.name,
                status=connection.status,
            )
        )
    adapter = ADAPTERS.get(connection.provider)
    if adapter is None:
        raise InvalidInput(_("Invoices cannot be sent to this provider yet."))
    if entry(connection.provider).needs_organization_id and not connection.organization_id:
        raise InvalidInput(
            _("The connection %(name)s has no organization / company ID.", name=connection.name),
            field="organization_id",
        )
    allowed = {t.id for t in connection.deal_types}
    if allowed and deal.deal_type_id not in allowed:
        raise InvalidInput(
            _("Deals of this type are not sent to %(name)s.", name=connection.name),
            field="deal_type",
        )
    if deal.currency != connection.base_currency:
        raise InvalidInput(
            _(
                "The deal is in %(deal)s but %(name)s invoices in %(base)s.",
                deal=deal.currency,
                name=connection.name,
                base=connection.base_currency,
            ),
            field="currency",
        )
    if not deal.lines and Decimal(deal.amount or 0) <= 0:
        raise InvalidInput(_("The deal has no lines and no amount to invoice."), field="amount")
    problems = adapter.company_problems(deal.company)
    if "name" in problems:
        raise InvalidInput(_("The customer has no name."), field="company")
    if "postal_code" in problems:
        raise InvalidInput(
            _("The customer's postal code must look like 123-4567."), field="company"
        )


def check_refresh_allowed(user) -> None:
    """Raise Forbidden unless ``user`` may pull billing statuses from the providers."""
    if not user_may(user, *REFRESH_STATUSES):
        raise Forbidden(_("You are not allowed to refresh billing statuses at the providers."))


def _enqueue(run: SyncRun, job: str, *args) -> None:
    """Queue ``job`` (a launcher's name) for the committed ``run``; if the queue refuses,
    the run fails in words (and can be retried) instead of waiting forever."""
    try:
        handle = launchers.launch(job, *args)
    except Exception as exc:  # Redis down, …: nothing was sent anywhere
        runs.end_crashed(run.id, exc)
        raise RenkeiError(
            _("The work could not be queued (%(error)s); try again later.", error=str(exc))
        ) from exc
    run.job_id = handle.id
    db.session.commit()


def _in_flight(deal, connection, kind: str = "invoice") -> ExternalDocument | None:
    """The deal's document at ``connection`` still to be created: pending (a create is
    under way) or failed without a provider id (its create may have reached the
    provider, so it is looked up there again rather than replaced by a new one)."""
    return (
        db.session.query(ExternalDocument)
        .filter_by(deal_id=deal.id, connection_id=connection.id, kind=kind)
        .filter(ExternalDocument.external_id.is_(None))
        .filter(ExternalDocument.billing_status.in_(("pending", "failed")))
        .order_by((ExternalDocument.billing_status == "pending").desc(), ExternalDocument.id.desc())
        .first()
    )


def _active_run(document: ExternalDocument) -> SyncRun | None:
    return (
        db.session.query(SyncRun)
        .filter(SyncRun.document_id == document.id, SyncRun.status.in_(ACTIVE_RUN_STATUSES))
        .first()
    )


def _creation_run(kind: str, document: ExternalDocument, user) -> SyncRun:
    """Put ``document`` back in flight with a new run (caller holds the deal's lock)."""
    document.billing_status = "pending"
    document.last_error = None
    run = SyncRun(
        kind=kind,
        connection_id=document.connection_id,
        started_by_id=user.id,
        total=1,
        deal_ids=json.dumps([document.deal_id]),
        document=document,
    )
    db.session.add(run)
    db.session.flush()
    for failure in db.session.query(SyncFailure).filter_by(
        document_id=document.id, retried_run_id=None
    ):
        failure.retried_run_id = run.id  # this run is their retry
    refresh_deal_status(document.deal)
    return run


def request_invoice(deal, connection, user) -> tuple[ExternalDocument, SyncRun]:
    """Queue the creation of ``deal``'s invoice at ``connection``.

    One transaction under the deal's row lock: N identical requests at once queue one
    run for one document (the others get that run); a document whose create failed is
    created again under its own reference (looked up first), never replaced.
    """
    runs.end_stale_runs()
    lock(deal)
    check_invoice_allowed(deal, connection, user)
    document = _in_flight(deal, connection)
    if document is not None and document.billing_status == "pending":
        run = _active_run(document)
        if run is not None:
            db.session.commit()
            return document, run
    if document is None:
        document = ExternalDocument(
            connection_id=connection.id,
            deal_id=deal.id,
            kind="invoice",
            billing_status="pending",
            currency=deal.currency,
            reference=f"rk-{deal.id}-{uuid.uuid4().hex[:8]}",
            created_by_id=user.id,
        )
        db.session.add(document)
    run = _creation_run("create_invoice", document, user)
    db.session.commit()
    _enqueue(run, CREATE_JOB, run.id, document.id)
    return document, run


def request_status_refresh(user, deal_ids: list[int] | None = None) -> SyncRun:
    """Queue a status refresh of the given deals (None: every deal).

    Under the rows it will update (the deals; for every deal, the connections): the
    same refresh asked again while one is queued or running gets that run.
    """
    check_refresh_allowed(user)
    runs.end_stale_runs()
    chosen = json.dumps(sorted(set(deal_ids))) if deal_ids is not None else None
    _lock_refreshed(sorted(set(deal_ids)) if deal_ids is not None else None)
    same = (
        db.session.query(SyncRun)
        .filter(SyncRun.kind == "refresh_statuses", SyncRun.status.in_(ACTIVE_RUN_STATUSES))
        .filter(SyncRun.deal_ids.is_(None) if chosen is None else SyncRun.deal_ids == chosen)
        .order_by(SyncRun.id.desc())
        .first()
    )
    if same is not None:
        db.session.commit()
        return same
    run = SyncRun(
        kind="refresh_statuses",
        started_by_id=getattr(user, "id", None),
        deal_ids=chosen,
    )
    db.session.add(run)
    db.session.commit()
    _enqueue(run, REFRESH_JOB, run.id)
    return run


def _lock_refreshed(deal_ids: list[int] | None) -> None:
    """Lock the deals (by id order), or every connection for a refresh of all deals."""
    model, ids = (Deal, deal_ids) if deal_ids is not None else (Connection, None)
    query = db.session.query(model).order_by(model.id)
    if ids is not None:
        query = query.filter(model.id.in_(ids))
    first = query.first()
    if first is None:
        return
    lock(first)  # SQLite: the database's write lock; PostgreSQL: this row
    query.with_for_update().all()  # PostgreSQL: the others, in id order


def retry_failure(failure: SyncFailure, user) -> SyncRun:
    """Run again what ``failure`` could not do; the new run is linked from the failure.

    Retrying a create locks the deal, then re-reads the failure: N Retry presses at once
    queue one run (the others get it); the job looks the invoice up before creating.
    """
    runs.end_stale_runs()
    document = (
        db.session.get(ExternalDocument, failure.document_id) if failure.document_id else None
    )
    if failure.run.kind in runs.CREATING and document is not None:
        if not user_may(user, *CREATE_AT_PROVIDER):
            raise Forbidden(_("You are not allowed to create documents at the provider."))
        lock(document.deal)
        db.session.refresh(failure)
        db.session.refresh(document)
        active = _active_run(document)
        if active is not None:  # a retry (or create) of it is already under way
            db.session.commit()
            return active
        if document.external_id:
            db.session.commit()
            raise InvalidInput(
                _("This invoice was created meanwhile (%(number)s).", number=document.number)
            )
        if document.billing_status == "pending" or _in_flight_other(document):
            db.session.commit()
            raise InvalidInput(_("Another invoice of this deal is being created there now."))
        run = _creation_run("retry", document, user)
        failure.retried_run_id = run.id
        db.session.commit()
        _enqueue(run, CREATE_JOB, run.id, document.id)
        return run
    lock(failure)
    if failure.retried_run_id is not None:
        earlier = db.session.get(SyncRun, failure.retried_run_id)
        if earlier is not None and earlier.status in ACTIVE_RUN_STATUSES:
            db.session.commit()
            return earlier
    deal_ids = [failure.deal_id] if failure.deal_id else None
    run = request_status_refresh(user, deal_ids)
    failure.retried_run_id = run.id
    db.session.commit()
    return run


def _in_flight_other(document: ExternalDocument) -> bool:
    """Whether another document of the same deal, kind and connection is being created."""
    return (
        db.session.query(ExternalDocument.id)
        .filter_by(
            deal_id=document.deal_id,
            connection_id=document.connection_id,
            kind=document.kind,
            billing_status="pending",
        )
        .filter(ExternalDocument.id != document.id)
        .first()
        is not None
    )


def run_progress(run: SyncRun) -> dict:
    """Progress of ``run`` for the progress bar (percent 0–100)."""
    total, done = run.total or 0, run.done or 0
    finished = run.status in runs.ENDED
    if total:
        percent = min(100, int(done * 100 / total))
    else:
        percent = 100 if finished else 0
    return {
        "status": run.status,
        "total": total,
        "done": done,
        "created": run.created or 0,
        "updated": run.updated or 0,
        "failed": run.failed or 0,
        "percent": 100 if finished else percent,
        "message": run.message or "",
        "finished": finished,
    }
