"""What users ask for: create an invoice, refresh statuses, retry a failure.

Checks happen here, synchronously, with messages a back-office person understands;
the work itself is queued (app.jobs.sync) and re-checks the user's rights when it runs.
"""

from __future__ import annotations

import json
import uuid
from decimal import Decimal

from flask_babel import gettext as _

from app.extensions import db
from app.models.sync import ExternalDocument, SyncFailure, SyncRun
from app.security.rights import CREATE_AT_PROVIDER, REFRESH_STATUSES, user_may
from app.services.errors import Forbidden, InvalidInput
from app.services.sync.adapters import ADAPTERS
from app.services.sync.status import refresh_deal_status


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
    if connection.provider in ("zoho", "freee") and not connection.organization_id:
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


def _enqueue(run: SyncRun, job, *args) -> None:
    handle = job.enqueue(*args)
    run.job_id = handle.id
    db.session.commit()


def request_invoice(deal, connection, user) -> tuple[ExternalDocument, SyncRun]:
    """Queue the creation of ``deal``'s invoice at ``connection`` (double clicks are safe)."""
    from app.jobs.sync import create_invoice_job

    check_invoice_allowed(deal, connection, user)
    pending = (
        db.session.query(ExternalDocument)
        .filter_by(deal_id=deal.id, connection_id=connection.id, billing_status="pending")
        .first()
    )
    if pending is not None:
        run = (
            db.session.query(SyncRun)
            .filter_by(kind="create_invoice", connection_id=connection.id)
            .filter(SyncRun.deal_ids == json.dumps([deal.id]))
            .order_by(SyncRun.id.desc())
            .first()
        )
        if run is not None:
            return pending, run
    document = ExternalDocument(
        connection_id=connection.id,
        deal_id=deal.id,
        kind="invoice",
        billing_status="pending",
        currency=deal.currency,
        reference=f"rk-{deal.id}-{uuid.uuid4().hex[:8]}",
        created_by_id=user.id,
    )
    run = SyncRun(
        kind="create_invoice",
        connection_id=connection.id,
        started_by_id=user.id,
        total=1,
        deal_ids=json.dumps([deal.id]),
    )
    db.session.add_all([document, run])
    db.session.flush()
    refresh_deal_status(deal)
    db.session.commit()
    _enqueue(run, create_invoice_job, run.id, document.id)
    return document, run


def request_status_refresh(user, deal_ids: list[int] | None = None) -> SyncRun:
    """Queue a status refresh of the given deals (None: every deal)."""
    from app.jobs.sync import refresh_statuses_job

    check_refresh_allowed(user)
    run = SyncRun(
        kind="refresh_statuses",
        started_by_id=getattr(user, "id", None),
        deal_ids=json.dumps(sorted(set(deal_ids))) if deal_ids is not None else None,
    )
    db.session.add(run)
    db.session.commit()
    _enqueue(run, refresh_statuses_job, run.id)
    return run


def retry_failure(failure: SyncFailure, user) -> SyncRun:
    """Run again what ``failure`` could not do; the new run is linked from the failure."""
    from app.jobs.sync import create_invoice_job

    document = (
        db.session.get(ExternalDocument, failure.document_id) if failure.document_id else None
    )
    if failure.run.kind in ("create_invoice", "retry") and document is not None:
        if not user_may(user, *CREATE_AT_PROVIDER):
            raise Forbidden(_("You are not allowed to create documents at the provider."))
        document.billing_status = "pending"
        document.last_error = None
        run = SyncRun(
            kind="retry",
            connection_id=document.connection_id,
            started_by_id=user.id,
            total=1,
            deal_ids=json.dumps([document.deal_id]),
        )
        db.session.add(run)
        db.session.flush()
        failure.retried_run_id = run.id
        refresh_deal_status(document.deal)
        db.session.commit()
        _enqueue(run, create_invoice_job, run.id, document.id)
        return run
    deal_ids = [failure.deal_id] if failure.deal_id else None
    run = request_status_refresh(user, deal_ids)
    failure.retried_run_id = run.id
    db.session.commit()
    return run


def run_progress(run: SyncRun) -> dict:
    """Progress of ``run`` for the progress bar (percent 0–100)."""
    total, done = run.total or 0, run.done or 0
    finished = run.status in ("finished", "failed")
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
