"""What users ask for: create an invoice, refresh statuses, retry a failure.

Checks happen here, synchronously, with messages a back-office person understands;
the work itself is queued (app.jobs.sync, through the launchers it hands over) and
re-checks the user's rights when it runs.
"""

from __future__ import annotations

import json

from flask_babel import gettext as _

from app.extensions import db
from app.models.connection import Connection
from app.models.crm import Deal
from app.models.sync import ACTIVE_RUN_STATUSES, ExternalDocument, SyncFailure, SyncRun
from app.security.rights import CREATE_AT_PROVIDER, REFRESH_STATUSES, user_may
from app.services import launchers
from app.services.errors import Forbidden, InvalidInput, RenkeiError
from app.services.locking import lock
from app.services.sync import runs

# The launchers (app.services.launchers) that queue the jobs of app/jobs/sync.py.
CREATE_JOB = "create_invoice_job"
REFRESH_JOB = "refresh_statuses_job"


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
        deal_ids=json.dumps([document.deal_id]) if document.deal_id else None,
        document=document,
    )
    db.session.add(run)
    db.session.flush()
    for failure in db.session.query(SyncFailure).filter_by(
        document_id=document.id, retried_run_id=None
    ):
        failure.retried_run_id = run.id  # this run is their retry
    return run


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

    Retrying a create locks the Renkei document (the deal for a link without one), then
    re-reads the failure: N Retry presses at once queue one run (the others get it); the
    job looks the invoice up before creating.
    """
    runs.end_stale_runs()
    document = (
        db.session.get(ExternalDocument, failure.document_id) if failure.document_id else None
    )
    if failure.run.kind in runs.CREATING and document is not None:
        if not user_may(user, *CREATE_AT_PROVIDER):
            raise Forbidden(_("You are not allowed to create documents at the provider."))
        lock(document.document if document.document is not None else document.deal)
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
        if document.billing_status == "pending":
            db.session.commit()
            raise InvalidInput(_("This invoice is being created there now."))
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
        # A refresh of chosen deals reports in deals, the unit the person selected.
        "deals": len(json.loads(run.deal_ids)) if run.deal_ids else None,
    }
