"""The status-refresh job's work: pull what changed at the provider onto our documents.

Whole pulls (the schedule, "refresh all") ask Money Forward for the billings updated
since the connection's high-water mark minus a day of overlap, page by page: a few
calls however many invoices exist. Refreshes of chosen deals GET each of their
documents, which is also how a document deleted at the provider is found (a 404): the
list endpoints cannot report deletions, so the scheduled pull does not flag them.
"""

from __future__ import annotations

import json
from datetime import timedelta

from flask_babel import gettext as _

from app.extensions import db
from app.models.connection import Connection
from app.models.crm import Deal, utcnow
from app.models.sync import ExternalDocument, SyncRun
from app.providers.errors import NotFoundError, ProviderError
from app.providers.moneyforward import mapping
from app.services.sync import runs
from app.services.sync.clients import SUPPORTED, client_for
from app.services.sync.status import refresh_deal_status

OVERLAP = timedelta(days=1)
GET_EACH_UP_TO = 20  # more documents than this: one paged pull instead of one GET each


def _documents(connection_id: int, deal_ids):
    query = db.session.query(ExternalDocument).filter(
        ExternalDocument.connection_id == connection_id,
        ExternalDocument.external_id.isnot(None),
        ExternalDocument.deleted_at_provider.is_(False),
    )
    if deal_ids is not None:
        query = query.filter(ExternalDocument.deal_id.in_(deal_ids))
    return query


def apply_billing(document: ExternalDocument, billing: dict) -> bool:
    """Copy the provider's status onto ``document``; True when it changed."""
    status = mapping.billing_status(billing)
    changed = status != document.billing_status
    document.billing_status = status
    document.payment_status = billing.get("payment_status")
    document.total = billing.get("total_price", document.total)
    document.last_pulled_at = utcnow()
    return changed


def mark_deleted(document: ExternalDocument) -> None:
    """The provider no longer has ``document``: keep it here, flagged."""
    document.deleted_at_provider = True
    document.billing_status = "deleted"
    document.last_pulled_at = utcnow()


def _touched(run: SyncRun, deals: set[int]) -> None:
    for deal in db.session.query(Deal).filter(Deal.id.in_(deals)):
        refresh_deal_status(deal)
    deals.clear()
    db.session.commit()


def _get_each(client, run: SyncRun, documents: list[ExternalDocument]) -> None:
    touched: set[int] = set()
    for document in documents:
        try:
            changed = apply_billing(document, client.get_billing(document.external_id))
        except NotFoundError:
            mark_deleted(document)
            changed = True
        run.updated += int(changed)
        run.done += 1
        touched.add(document.deal_id)
        if run.done % runs.COMMIT_EVERY == 0:
            _touched(run, touched)
    _touched(run, touched)


def _pull_changed(client, run: SyncRun, connection: Connection, deal_ids) -> None:
    started = utcnow()
    since = connection.statuses_pulled_until
    if since is None:
        first = _documents(connection.id, None).order_by(ExternalDocument.created_at).first()
        since = first.created_at if first else started
    touched: set[int] = set()
    page: dict[str, dict] = {}

    def flush() -> None:
        for document in _documents(connection.id, deal_ids).filter(
            ExternalDocument.external_id.in_(list(page))
        ):
            run.updated += int(apply_billing(document, page[document.external_id]))
            touched.add(document.deal_id)
        page.clear()
        _touched(run, touched)

    for billing in client.iter_billings_updated(since - OVERLAP):
        page[billing["id"]] = billing
        if len(page) >= runs.COMMIT_EVERY:
            flush()
    flush()
    run.done = run.total
    if deal_ids is None:
        connection.statuses_pulled_until = started
    db.session.commit()


def perform_refresh(run_id: int) -> None:
    """Refresh the statuses of the run's deals (or all) at every connected connection."""
    run = db.session.get(SyncRun, run_id)
    runs.start(run)
    deal_ids = json.loads(run.deal_ids) if run.deal_ids else None
    connections = (
        db.session.query(Connection)
        .filter(Connection.status == "connected", Connection.provider.in_(SUPPORTED))
        .order_by(Connection.id)
        .all()
    )
    plans = [(c, _documents(c.id, deal_ids).count()) for c in connections]
    plans = [(c, n) for c, n in plans if n]
    run.total = sum(n for _c, n in plans)
    db.session.commit()
    for connection, count in plans:
        client, session = client_for(connection)
        try:
            if deal_ids is not None and count <= GET_EACH_UP_TO:
                _get_each(client, run, _documents(connection.id, deal_ids).all())
            else:
                _pull_changed(client, run, connection, deal_ids)
        except ProviderError as exc:
            db.session.rollback()
            message = _(
                "%(name)s: the statuses could not be read: %(reason)s",
                name=connection.name,
                reason=exc.message,
            )
            runs.record_failure(run, message)
        run.api_calls += session.calls
        db.session.commit()
    runs.finish(
        run,
        _("%(updated)d of %(total)d documents changed.", updated=run.updated, total=run.total),
        failed=bool(run.failed) and not run.updated and run.failed >= len(plans),
    )
