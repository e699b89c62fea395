"""The mismatch report (N1), per connection: where a Renkei document and what a provider
holds of it differ, and what a person can do about each difference.

``report`` compares each link (ExternalDocument) of a connection with its Renkei document:
the total, the tax per rate (when the provider's answer said it), the status (Renkei's
state against the provider's, in our words), the customer (the provider record the
invoice was sent to against the one the document's company is linked to now), and
documents deleted at the provider. Documents at the provider carrying one of our
references ("rk-…") that no link of the connection holds are "unknown".

It runs after each pull of a connection (refresh.perform_refresh): a whole pull judges
every link of the connection and the unknown documents it listed; a pull of chosen deals
judges only the links it pulled (a difference elsewhere is neither found nor resolved by
it). A difference no longer found is resolved; an ignored one stays ignored until its
values change. Rows are unique per (connection, kind, provider id): two reports at once
make one row (the second's insert fails and it updates the first's row instead).

Each row offers ``pull`` (read the provider's document again and apply it), ``push``
(where it means something: issue a document deleted there again, or tell a provider that
takes payment statuses that the invoice is paid; otherwise a sentence saying what to do
at the provider), ``link`` (an unknown document to a chosen Renkei document) and
``ignore`` (with a reason). Each checks the person's right (``can_act`` on "Mismatch"),
locks the row, and leaves a line in the Renkei document's audit trail.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
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
from app.providers.errors import NotFoundError, ProviderError, provider_name
from app.security.rights import user_may
from app.services.actor import acting_as
from app.services.documents.audit import record_event
from app.services.errors import Forbidden, InvalidInput, RenkeiError
from app.services.locking import lock
from app.services.sync import mismatch_words as words
from app.services.sync.adapters import ADAPTERS, RemoteDocument

log = logging.getLogger(__name__)

READ = ("can_read", "Mismatch")
ACT = ("can_act", "Mismatch")
LINK_KINDS = ("total", "tax", "status", "customer", "deleted")
# Link statuses that say nothing about the provider's document yet (or any more).
NOT_THERE = ("awaiting_approval", "pending", "failed", "deleted")
OUR_REFERENCE = re.compile(r"^rk-(\d+)-")
REASON_MAX = 500


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


def _unknown(remote: RemoteDocument) -> Found:
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
        .options(joinedload(ExternalDocument.document))
        .filter(ExternalDocument.connection_id == connection.id)
        .all()
    )
    judged = every_link
    if deal_ids is not None:
        judged = [link for link in judged if link.deal_id in set(deal_ids)]
    if link_ids is not None:
        judged = [link for link in judged if link.id in set(link_ids)]
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
                    found[("unknown", remote.external_id)] = _unknown(remote)

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
    _copy(row, item)
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


def _copy(row: Mismatch, item: Found) -> None:
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
    _copy(row, item)


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


# -- actions ---------------------------------------------------------------------------


def check_act(user) -> None:
    """Raise Forbidden unless ``user`` may act on mismatches."""
    if not user_may(user, *ACT):
        raise Forbidden(_("You are not allowed to act on mismatches."))


def _locked_open(mismatch: Mismatch) -> Mismatch:
    lock(mismatch)
    if mismatch.resolved_at is not None:
        raise InvalidInput(_("This mismatch is resolved already."))
    return mismatch


def _trail(mismatch: Mismatch, action: str, note: str, user) -> None:
    document = mismatch.document or (mismatch.link.document if mismatch.link else None)
    if document is not None:
        with acting_as(user):
            record_event(db.session, document, action, note)


def resolve(mismatch: Mismatch) -> None:
    """Mark ``mismatch`` resolved now (the caller commits)."""
    mismatch.resolved_at = utcnow()


def pull(mismatch: Mismatch, user) -> Mismatch:
    """Read the provider's document again, apply it, and check the difference again."""
    from app.services.sync.clients import adapter_for
    from app.services.sync.refresh import mark_deleted, pulled

    check_act(user)
    connection = mismatch.connection
    link = mismatch.link
    external_id = link.external_id if link is not None else mismatch.external_id
    adapter, _session = adapter_for(connection)
    try:
        remote = adapter.get_invoice(external_id)
    except NotFoundError:
        remote = None
    except ProviderError as exc:
        raise InvalidInput(
            _("%(name)s could not be read: %(reason)s", name=connection.name, reason=exc.message)
        ) from exc
    try:
        _locked_open(mismatch)
        if link is not None:
            lock(link)
            if remote is None:
                mark_deleted(link)
            else:
                link.deleted_at_provider = False
                pulled(link, remote)
        elif remote is None:
            resolve(mismatch)  # an unknown document that is gone there
        _trail(
            mismatch,
            "mismatch_pulled",
            _("Read again from %(name)s (mismatch report).", name=connection.name),
            user,
        )
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    if link is not None:
        report(connection, [remote] if remote else None, link_ids=[link.id])
    elif remote is not None:
        _recheck_unknown(mismatch, remote)
    db.session.refresh(mismatch)
    return mismatch


def _recheck_unknown(mismatch: Mismatch, remote: RemoteDocument) -> None:
    held = (
        db.session.query(ExternalDocument)
        .filter_by(connection_id=mismatch.connection_id, external_id=remote.external_id)
        .first()
    )
    lock(mismatch)
    if held is not None or not (remote.reference or "").startswith("rk-"):
        resolve(mismatch)
    else:
        _copy(mismatch, _unknown(remote))
    db.session.commit()


def push(mismatch: Mismatch, user):
    """Make the provider agree with Renkei where Renkei can: issue again a document deleted
    there, or set the paid status where the provider takes it. Otherwise refuse with what
    the person should do at the provider. Returns the run or job queued."""
    check_act(user)
    if mismatch.kind == "deleted":
        return _issue_again(mismatch, user)
    link = mismatch.link
    if mismatch.kind == "status" and link is not None and link.document is not None:
        adapter = ADAPTERS.get(mismatch.connection.provider)
        paid_here = link.document.state == "paid" and link.billing_status != "paid"
        if paid_here and getattr(adapter, "supports_payment_push", False):
            return _push_paid(mismatch, user)
    raise InvalidInput(words.what_to_do(mismatch))


def _push_paid(mismatch: Mismatch, user):
    from app.services import launchers
    from app.services.sync.settlement import PUSH_JOB

    try:
        _locked_open(mismatch)
        _trail(
            mismatch,
            "mismatch_pushed",
            _("The paid status is being set at %(name)s.", name=mismatch.connection.name),
            user,
        )
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    try:
        return launchers.launch(PUSH_JOB, mismatch.link_id, getattr(user, "id", None))
    except Exception as exc:  # the queue is down
        raise RenkeiError(
            _("The work could not be queued (%(error)s); try again later.", error=str(exc))
        ) from exc


def _issue_again(mismatch: Mismatch, user):
    from app.services.sync.issuing import ISSUABLE_STATES, check_connection, check_document
    from app.services.sync.requests import CREATE_JOB, _creation_run, _enqueue

    link = mismatch.link
    if link is None or link.document is None:
        raise InvalidInput(_("This document is not one of Renkei's; there is nothing to issue."))
    document = link.document
    connection = mismatch.connection
    check_connection(connection, user)
    try:
        lock(document)
        _locked_open(mismatch)
        lock(link)
        if not link.deleted_at_provider:
            raise InvalidInput(_("The document is at the provider again; pull it instead."))
        if document.state not in ISSUABLE_STATES:
            raise InvalidInput(
                _(
                    "%(number)s is %(state)s in Renkei: it is not issued again.",
                    number=document.number,
                    state=words.state_label(document.state),
                )
            )
        check_document(document, connection)
        link.reference = f"rk-{document.id}-{uuid.uuid4().hex[:8]}"
        link.external_id = None
        link.number = None
        link.total = None
        link.payment_status = None
        link.provider_url = None
        link.deleted_at_provider = False
        link.origin = "issued"
        run = _creation_run("create_invoice", link, user)
        resolve(mismatch)
        _trail(
            mismatch,
            "mismatch_reissued",
            _(
                "Deleted at %(name)s; issued there again (mismatch report).",
                name=connection.name,
            ),
            user,
        )
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        raise InvalidInput(
            _("Another invoice of this deal is being issued there now; try again later.")
        ) from exc
    except BaseException:
        db.session.rollback()
        raise
    _enqueue(run, CREATE_JOB, run.id, link.id)
    return run


def link(mismatch: Mismatch, document: Document, user) -> ExternalDocument:
    """Link an unknown provider document to ``document``; the mismatch is resolved."""
    from app.services.sync import links

    check_act(user)
    if mismatch.kind != "unknown":
        raise InvalidInput(_("Only a document Renkei does not know is linked from here."))
    if mismatch.resolved_at is not None:
        raise InvalidInput(_("This mismatch is resolved already."))
    made = links.link_document(document, mismatch.connection, mismatch.external_id, user)
    try:
        _locked_open(mismatch)
        mismatch.link_id = made.id
        mismatch.document_id = document.id
        resolve(mismatch)
        db.session.commit()
    except InvalidInput:
        db.session.rollback()  # resolved by a report that saw the new link first
    return made


def ignore(mismatch: Mismatch, user, reason: str | None) -> Mismatch:
    """Keep ``mismatch`` off the open list, with the person's reason (required)."""
    check_act(user)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Say why this mismatch is ignored."), field="reason")
    if len(reason) > REASON_MAX:
        raise InvalidInput(
            _("The reason is too long (at most %(n)d characters).", n=REASON_MAX), field="reason"
        )
    try:
        _locked_open(mismatch)
        if mismatch.ignored_at is None:
            mismatch.ignored_at = utcnow()
            mismatch.ignored_by_id = getattr(user, "id", None)
            mismatch.ignored_reason = reason
            _trail(
                mismatch,
                "mismatch_ignored",
                _(
                    "Mismatch at %(name)s ignored (%(kind)s): %(reason)s",
                    name=mismatch.connection.name,
                    kind=words.kind_label(mismatch.kind),
                    reason=reason,
                ),
                user,
            )
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return mismatch


def provider_of(connection: Connection) -> str:
    """The connection's provider as a person knows it."""
    return provider_name(connection.provider, connection.name)
