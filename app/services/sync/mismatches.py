"""What a person can do about a row of the mismatch report (N1): ``pull`` (read the
provider's document again and apply it), ``push`` (where it means something: issue a
document deleted there again, or tell a provider that takes payment statuses that the
invoice is paid; otherwise a sentence saying what to do at the provider), ``link`` (an
unknown document to a chosen Renkei document) and ``ignore`` (with a reason).

Each checks the person's right (``can_act`` on "Mismatch"), locks the rows it changes in
one order — the Renkei document, the mismatch, the link — and leaves a line in the
document's audit trail. The report itself (``report``, ``open_count``) is in
app/services/sync/mismatch_report.py and is named here too.
"""

from __future__ import annotations

import uuid

from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models.connection import Connection
from app.models.crm import utcnow
from app.models.documents import Document
from app.models.sync import ExternalDocument, Mismatch
from app.providers.errors import NotFoundError, ProviderError, provider_name
from app.security.rights import user_may
from app.services.actor import acting_as
from app.services.documents.audit import record_event
from app.services.errors import Forbidden, InvalidInput, RenkeiError
from app.services.locking import lock
from app.services.sync import mismatch_words as words
from app.services.sync.adapters import ADAPTERS, RemoteDocument
from app.services.sync.mismatch_report import (
    apply_found,
    open_count,
    report,
    report_after_pull,
    unknown_document,
)

READ = ("can_read", "Mismatch")
ACT = ("can_act", "Mismatch")
REASON_MAX = 500

__all__ = [
    "ignore",
    "link",
    "open_count",
    "pull",
    "push",
    "report",
    "report_after_pull",
]


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
    """A line in the trail of the Renkei document the mismatch is about (an unknown
    document's reference only hints at one: nothing is written there)."""
    document = mismatch.link.document if mismatch.link is not None else None
    if document is None and mismatch.kind != "unknown":
        document = mismatch.document
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
        if link is not None and link.document is not None:
            lock(link.document)  # document, mismatch, link: the order every action keeps
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
        apply_found(mismatch, unknown_document(remote))
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
