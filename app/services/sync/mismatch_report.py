"""The mismatch report (N1), per connection: where a Renkei document and what a provider
holds of it differ (the actions on its rows are in app/services/sync/mismatches.py).

``report`` compares each link (ExternalDocument) of a connection with its Renkei document:
the total, the tax per rate (when the provider's answer said it), the status (Renkei's
state against the provider's, in our words, each read as open / partly paid / paid /
closed), the customer (the provider record the invoice was sent to against the one the
document's company is linked to now), and documents deleted at the provider. Documents at
the provider carrying one of our references ("rk-…") that no link of the connection holds
are "unknown".

It runs after each pull of a connection (refresh.perform_refresh): a whole pull judges
every link of the connection and the unknown documents it listed; a pull of chosen deals
judges only the links it pulled (a difference elsewhere is neither found nor resolved by
it). A difference no longer found is resolved; an ignored one stays ignored until its
values change. Rows are unique per (connection, kind, provider id): two reports at once
make one row (the second's insert fails in a savepoint and it updates the first's row).
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models.connection import Connection
from app.models.crm import utcnow
from app.models.documents import Document
from app.models.sync import ExternalDocument, Mismatch, PartnerLink
from app.services.sync.adapters import RemoteDocument

log = logging.getLogger(__name__)

LINK_KINDS = ("total", "tax", "status", "customer", "deleted")
# Link statuses that say nothing about the provider's document yet (or any more).
NOT_THERE = ("awaiting_approval", "pending", "failed", "deleted")
OUR_REFERENCE = re.compile(r"^rk-(\d+)-")


@dataclass
class Found:
    """One difference the report found (not yet saved)."""

    kind: str
    external_id: str
    link: ExternalDocument | None
    document_id: int | None
    reference: str | None
    number: str | None
    renkei_value: str | None
    provider_value: str | None


# -- comparing -------------------------------------------------------------------------

# What each side's status means for the comparison: open, partly paid, paid or closed.
_RENKEI_CLASS = {
    "draft": "open",
    "pending_approval": "open",
    "approved": "open",
    "sent": "open",
    "disputed": "open",
    "partially_paid": "partial",
    "paid": "paid",
    "written_off": "closed",
    "void": "closed",
}
_PROVIDER_CLASS = {
    "draft": "open",
    "sent": "open",
    "unpaid": "open",
    "overdue": "open",
    "partially_paid": "partial",
    "paid": "paid",
    "void": "closed",
}


def status_differs(state: str, provider_status: str) -> bool:
    """Whether Renkei's ``state`` and the provider's status (our words) disagree."""
    ours = _RENKEI_CLASS.get(state)
    theirs = _PROVIDER_CLASS.get(provider_status)
    return ours is not None and theirs is not None and ours != theirs


def _amount(value) -> str | None:
    return None if value is None else format(Decimal(value).normalize(), "f")


def _found(kind: str, link: ExternalDocument, renkei, provider) -> Found:
    return Found(
        kind,
        link.external_id,
        link,
        link.document_id,
        link.reference,
        link.number,
        renkei,
        provider,
    )


def _tax_found(link: ExternalDocument, remote: RemoteDocument) -> Found | None:
    from app.services.sync.agreement import differences, renkei_totals
    from app.services.sync.lines import document_lines

    totals = renkei_totals(document_lines(link.document))
    found = [d for d in differences(totals, remote.total, remote.taxes) if d.what != "total"]
    if not found:
        return None
    ours = {d.what: _amount(d.renkei) for d in found}
    theirs = {d.what: _amount(d.provider) for d in found}
    return _found("tax", link, json.dumps(ours, sort_keys=True), json.dumps(theirs, sort_keys=True))


def link_differences(
    link: ExternalDocument, partners: dict[int, PartnerLink], remote: RemoteDocument | None
) -> list[Found]:
    """What differs between ``link`` and its Renkei document (``remote``: the provider's
    answer for it in this pull, if any)."""
    document = link.document
    if document is None or not link.external_id:
        return []
    if link.deleted_at_provider:
        return [_found("deleted", link, document.state, "deleted")]
    if link.billing_status in NOT_THERE:
        return []
    found = []
    if link.total is not None and Decimal(link.total) != Decimal(document.total):
        found.append(_found("total", link, _amount(document.total), _amount(link.total)))
    if remote is not None and remote.taxes is not None:
        tax = _tax_found(link, remote)
        if tax is not None:
            found.append(tax)
    if status_differs(document.state, link.billing_status):
        found.append(_found("status", link, document.state, link.billing_status))
    partner = partners.get(document.company_id)
    theirs = getattr(remote, "customer_external_id", None) or link.customer_external_id
    if partner is not None and theirs and theirs != partner.external_id:
        found.append(_found("customer", link, partner.external_id, theirs))
    return found


def unknown_document(remote: RemoteDocument) -> Found:
    match = OUR_REFERENCE.match(remote.reference or "")
    document_id = int(match.group(1)) if match else None
    if document_id is not None and db.session.get(Document, document_id) is None:
        document_id = None
    value = {
        "total": _amount(remote.total),
        "status": remote.status,
        "issue_date": remote.issue_date.isoformat() if remote.issue_date else None,
    }
    return Found(
        "unknown",
        remote.external_id,
        None,
        document_id,
        remote.reference,
        remote.number,
        None,
        json.dumps(value, sort_keys=True),
    )


# -- the report ------------------------------------------------------------------------


def report(connection: Connection, feed_documents=None, deal_ids=None, link_ids=None) -> int:
    """Find and save the differences of ``connection``; returns how many are open now.

    ``feed_documents``: the RemoteDocuments the pull just read (the tax per rate and the
    unknown documents come only from these). ``deal_ids``/``link_ids`` narrow the report
    to the links a pull of chosen deals (or an action) read; None judges every link.
    Commits.
    """
    remotes = {r.external_id: r for r in feed_documents or ()}
    every_link = (
        db.session.query(ExternalDocument)
        .options(joinedload(ExternalDocument.document).selectinload(Document.lines))
        .filter(ExternalDocument.connection_id == connection.id)
        .all()
    )
    judged = every_link
    if deal_ids is not None:
        chosen = set(deal_ids)
        judged = [link for link in judged if link.deal_id in chosen]
    if link_ids is not None:
        chosen = set(link_ids)
        judged = [link for link in judged if link.id in chosen]
    partners = {
        p.company_id: p
        for p in db.session.query(PartnerLink).filter_by(connection_id=connection.id)
    }
    found: dict[tuple[str, str], Found] = {}
    for link in judged:
        for item in link_differences(link, partners, remotes.get(link.external_id)):
            found[(item.kind, item.external_id)] = item
    linked_ids = {link.external_id for link in every_link if link.external_id}
    references = {link.reference for link in every_link}
    whole = deal_ids is None and link_ids is None
    if whole:
        for remote in remotes.values():
            reference = remote.reference or ""
            if reference.startswith("rk-") and remote.external_id not in linked_ids:
                if reference not in references:
                    found[("unknown", remote.external_id)] = unknown_document(remote)

    judged_ids = {link.id for link in judged}

    def in_scope(row: Mismatch) -> bool:
        """Whether this report could have found ``row`` again."""
        if row.kind == "unknown":
            return row.external_id in linked_ids or (whole and row.external_id in remotes)
        if row.kind == "tax":
            remote = remotes.get(row.external_id)
            in_feed = remote is not None and remote.taxes is not None
            return in_feed and row.link_id in judged_ids
        return row.link_id in judged_ids or row.link_id is None

    _save(connection.id, found, in_scope)
    return open_count(connection.id)


def _save(connection_id: int, found: dict[tuple[str, str], Found], in_scope) -> None:
    now = utcnow()
    rows = {
        (row.kind, row.external_id): row
        for row in db.session.query(Mismatch).filter_by(connection_id=connection_id)
    }
    for key, row in rows.items():
        if row.resolved_at is None and key not in found and in_scope(row):
            row.resolved_at = now
    db.session.commit()
    for key, item in found.items():
        row = rows.get(key)
        if row is None:
            row = _insert(connection_id, item)
            if row is None:
                continue  # made just now by a report running beside this one
        _update(row, item, now)
    db.session.commit()


def _insert(connection_id: int, item: Found) -> Mismatch | None:
    row = Mismatch(connection_id=connection_id, kind=item.kind, external_id=item.external_id)
    apply_found(row, item)
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        return (
            db.session.query(Mismatch)
            .filter_by(connection_id=connection_id, kind=item.kind, external_id=item.external_id)
            .one_or_none()
        )
    return row


def apply_found(row: Mismatch, item: Found) -> None:
    row.link_id = item.link.id if item.link is not None else None
    row.document_id = item.document_id
    row.reference = item.reference
    row.number = item.number
    row.renkei_value = item.renkei_value
    row.provider_value = item.provider_value


def _update(row: Mismatch, item: Found, now) -> None:
    changed = (row.renkei_value, row.provider_value) != (item.renkei_value, item.provider_value)
    if row.resolved_at is not None or changed:
        row.found_at = now
        row.resolved_at = None
        row.ignored_at = row.ignored_by_id = row.ignored_reason = None
    apply_found(row, item)


def open_count(connection_id: int | None = None) -> int:
    """Mismatches neither resolved nor ignored (of one connection, or all)."""
    query = db.session.query(Mismatch).filter(
        Mismatch.resolved_at.is_(None), Mismatch.ignored_at.is_(None)
    )
    if connection_id is not None:
        query = query.filter(Mismatch.connection_id == connection_id)
    return query.count()


def report_after_pull(run, connection: Connection, feed_documents, deal_ids) -> None:
    """The report after a pull of ``connection``; a failure of it is recorded on the run
    in words and never undoes the pull."""
    from app.services.sync import runs

    try:
        report(connection, feed_documents, deal_ids=deal_ids)
    except Exception as exc:  # the pull is committed; the report is done next time
        db.session.rollback()
        log.exception("mismatch report of connection %s failed", connection.id)
        runs.record_failure(
            run,
            _(
                "%(name)s: the mismatch report could not be made: %(reason)s",
                name=connection.name,
                reason=str(exc),
            ),
        )
        db.session.commit()
