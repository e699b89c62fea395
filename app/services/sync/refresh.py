"""The status-refresh job's work: pull what changed at the provider onto our documents.

Whole pulls (the schedule, "refresh all") ask each provider, through its adapter, for
the documents changed since the connection's high-water mark minus a day of overlap,
page by page: a few calls however many invoices exist. Refreshes of chosen deals GET
each of their documents, which is also how a document deleted at the provider is found
(a 404). Where a provider can only list by date (freee), every document in the listed
window is seen, so one of ours missing from it is checked with a GET and flagged if gone.
After each pull, unpaid documents whose due date passed (Tokyo's date) become overdue:
nothing changes at the provider on that day, so no pull would report it. Then the
mismatch report (app/services/sync/mismatch_report.py) compares the connection's links with
their Renkei documents and what the provider answered: every link after a whole pull,
the pulled links after a pull of chosen deals.
"""

from __future__ import annotations

import json
from datetime import timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models.connection import Connection
from app.models.crm import utcnow
from app.models.sync import ExternalDocument, SyncRun
from app.providers.errors import NotFoundError, ProviderError
from app.security.rights import REFRESH_STATUSES, user_may
from app.services import billing_status
from app.services.errors import RenkeiError
from app.services.sync import mismatch_report, runs, settlement
from app.services.sync.adapters import OpenDocument, RemoteDocument
from app.services.sync.clients import SUPPORTED, adapter_for
from app.services.sync.clock import business_day_of, business_today

OVERLAP = timedelta(days=1)
GET_EACH_UP_TO = 20  # more documents than this: one paged pull instead of one GET each
SETTLED = ("paid", "void", "deleted", "failed", "pending")  # nothing left to pull


def _documents(connection_id: int, deal_ids):
    query = db.session.query(ExternalDocument).filter(
        ExternalDocument.connection_id == connection_id,
        ExternalDocument.external_id.isnot(None),
        ExternalDocument.deleted_at_provider.is_(False),
    )
    if deal_ids is not None:
        query = query.filter(ExternalDocument.deal_id.in_(deal_ids))
    return query


def apply_remote(document: ExternalDocument, remote: RemoteDocument) -> bool:
    """Copy the provider's status onto ``document``; True when its status changed."""
    changed = remote.status != document.billing_status
    document.billing_status = remote.status
    document.payment_status = remote.payment_status
    document.total = remote.total if remote.total is not None else document.total
    document.number = remote.number or document.number
    document.issue_date = remote.issue_date or document.issue_date
    document.due_date = remote.due_date or document.due_date
    document.provider_url = remote.url or document.provider_url
    document.last_pulled_at = utcnow()
    return changed


def pulled(document: ExternalDocument, remote: RemoteDocument) -> bool:
    """Apply a pulled ``remote`` and record what it reports paid on the Renkei invoice."""
    changed = apply_remote(document, remote)
    settlement.settle_from_provider(document, remote)
    return changed


def mark_deleted(document: ExternalDocument) -> None:
    """The provider no longer has ``document``: keep it here, flagged."""
    document.deleted_at_provider = True
    document.billing_status = "deleted"
    document.last_pulled_at = utcnow()


def _touched(deals: set[int]) -> None:
    """Commit a page. The deals' billing statuses are recomputed at its flush, in one
    batch (services/billing_status.py keeps them on every flush): no need to read each
    deal again here — that cost two SELECTs per deal."""
    deals.clear()
    db.session.commit()


def unchanged(document: ExternalDocument, remote: RemoteDocument) -> bool:
    """Whether ``remote`` says nothing new about ``document`` and reports no payment
    (a paid one always goes through settlement, which records it once)."""
    if remote.status in settlement.PAID_STATUSES or remote.status != document.billing_status:
        return False
    return (
        remote.payment_status == document.payment_status
        and (remote.total is None or remote.total == document.total)
        and (not remote.number or remote.number == document.number)
        and (not remote.issue_date or remote.issue_date == document.issue_date)
        and (not remote.due_date or remote.due_date == document.due_date)
        and (not remote.url or remote.url == document.provider_url)
    )


def mark_pulled(link_ids: list[int]) -> None:
    """Stamp the pull on links nothing changed on, in one UPDATE: writing each through
    the session would flush every link and recompute every deal (a listing-only
    provider such as freee lists every open invoice on each pull)."""
    if link_ids:
        db.session.execute(
            sa.update(ExternalDocument)
            .where(ExternalDocument.id.in_(link_ids))
            .values(last_pulled_at=utcnow()),
            execution_options={"synchronize_session": False},
        )


def _get_each(adapter, run: SyncRun, documents: list[ExternalDocument], seen=None) -> None:
    touched: set[int] = set()
    for document in documents:
        try:
            remote = adapter.get_invoice(document.external_id)
            if seen is not None:
                seen.append(remote)
            changed = pulled(document, remote)
        except NotFoundError:
            mark_deleted(document)
            changed = True
        run.updated += int(changed)
        run.done += 1
        touched.add(document.deal_id)
        if run.done % runs.COMMIT_EVERY == 0:
            _touched(touched)
    _touched(touched)


def _open_documents(connection_id: int, deal_ids) -> list[OpenDocument]:
    rows = _documents(connection_id, deal_ids).filter(
        ExternalDocument.billing_status.notin_(SETTLED)
    )
    return [
        OpenDocument(d.external_id, d.issue_date or business_day_of(d.created_at)) for d in rows
    ]


def _pull_changed(adapter, run: SyncRun, connection: Connection, deal_ids, seen=None) -> None:
    started = utcnow()
    since = connection.statuses_pulled_until
    if since is None:
        first = _documents(connection.id, None).order_by(ExternalDocument.created_at).first()
        since = first.created_at if first else started
    touched: set[int] = set()
    page: dict[str, RemoteDocument] = {}
    feed = adapter.changes(since - OVERLAP, _open_documents(connection.id, deal_ids))

    def flush() -> None:
        settling, same = [], []
        for document in (
            _documents(connection.id, deal_ids)
            .filter(ExternalDocument.external_id.in_(list(page)))
            .options(selectinload(ExternalDocument.document))  # one query a page
        ):
            remote = page[document.external_id]
            if unchanged(document, remote):
                same.append(document.id)
                continue
            run.updated += int(apply_remote(document, remote))
            settling.append((document, remote))
            touched.add(document.deal_id)
        db.session.flush()  # the page's deals recomputed once, not once per document
        for document, remote in settling:
            settlement.settle_from_provider(document, remote)
        mark_pulled(same)
        feed.seen.update(page)
        page.clear()
        _touched(touched)

    for remote in feed.documents:
        page[remote.external_id] = remote
        if seen is not None:
            seen.append(remote)
        if len(page) >= runs.COMMIT_EVERY:
            flush()
    flush()
    if feed.complete_from is not None:
        _check_missing(adapter, run, connection.id, deal_ids, feed)
    run.done = run.total
    if deal_ids is None:
        connection.statuses_pulled_until = started
    db.session.commit()


def _check_missing(adapter, run: SyncRun, connection_id: int, deal_ids, feed) -> None:
    """Documents in a fully listed window that were not listed: GET each to be sure (a
    list can shift while paged), flag those that are gone."""
    missing = [
        d
        for d in _documents(connection_id, deal_ids).filter(
            ExternalDocument.issue_date >= feed.complete_from
        )
        if d.external_id not in feed.seen
    ]
    if missing:
        before = run.done
        _get_each(adapter, run, missing)
        run.done = before


def age_overdue(connection_id: int, deal_ids=None) -> int:
    """Unpaid documents past their due date (Tokyo) become overdue; returns how many."""
    query = _documents(connection_id, deal_ids).filter(
        ExternalDocument.billing_status == "unpaid",
        ExternalDocument.due_date < business_today(),
    )
    touched = set()
    for document in query:
        document.billing_status = "overdue"
        touched.add(document.deal_id)
    count = len(touched)
    _touched(touched)
    billing_status.recompute_overdue(db.session)
    db.session.commit()
    return count


def perform_refresh(run_id: int) -> None:
    """Refresh the statuses of the run's deals (or all) at every connected connection."""
    run = db.session.get(SyncRun, run_id)
    runs.start(run)
    if run.started_by_id is not None and not user_may(run.started_by_id, *REFRESH_STATUSES):
        message = _(
            "The user who asked for this refresh may no longer refresh billing statuses; "
            "no provider was called."
        )
        runs.record_failure(run, message)
        runs.finish(run, message, failed=True)
        return
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
        try:
            adapter, session = adapter_for(connection)
        except RenkeiError as exc:  # e.g. a URL that may not receive our tokens
            runs.record_failure(run, _("%(name)s: %(reason)s", name=connection.name, reason=exc))
            db.session.commit()
            continue
        seen: list[RemoteDocument] = []  # what the provider answered: the report reads it
        try:
            if deal_ids is not None and count <= GET_EACH_UP_TO:
                _get_each(adapter, run, _documents(connection.id, deal_ids).all(), seen)
            else:
                _pull_changed(adapter, run, connection, deal_ids, seen)
            age_overdue(connection.id, deal_ids)
            mismatch_report.report_after_pull(run, connection, seen, deal_ids)
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
    if deal_ids is None:  # nothing to pull there, but its links may still differ
        pulled_ids = {c.id for c, _n in plans}
        for connection in connections:
            if connection.id not in pulled_ids:
                mismatch_report.report_after_pull(run, connection, [], None)
    runs.finish(
        run,
        _("%(updated)d of %(total)d documents changed.", updated=run.updated, total=run.total),
        failed=bool(run.failed) and not run.updated and run.failed >= len(plans),
    )
