"""The create-invoice job's work: push the customer, then the invoice, exactly once.

Idempotency: the ExternalDocument (with our reference) exists before the provider is
called. Before creating, the provider is searched for a billing carrying that reference
in its memo, so a double click, a retried job or a worker killed after the provider
answered but before we saved never makes a second invoice.
"""

from __future__ import annotations

from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models.crm import utcnow
from app.models.sync import ExternalDocument, PartnerLink, SyncRun
from app.providers.errors import ProviderError, ValidationError
from app.providers.moneyforward import mapping
from app.security.rights import CREATE_AT_PROVIDER, user_may
from app.services.sync import runs
from app.services.sync.clients import client_for
from app.services.sync.status import refresh_deal_status


def ensure_partner(client, connection, company) -> PartnerLink:
    """The company's partner at the provider: created on first use, updated when changed."""
    link = (
        db.session.query(PartnerLink)
        .filter_by(connection_id=connection.id, company_id=company.id)
        .first()
    )
    print_ = mapping.fingerprint(company)
    if link is None:
        partner, department_id = _find_or_create_partner(client, company)
        link = PartnerLink(
            connection_id=connection.id,
            company_id=company.id,
            external_id=partner["id"],
            department_id=department_id,
            pushed_fingerprint=print_,
            last_pushed_at=utcnow(),
        )
        db.session.add(link)
        try:
            db.session.commit()
        except IntegrityError:  # another worker linked the same company just now
            db.session.rollback()
            return (
                db.session.query(PartnerLink)
                .filter_by(connection_id=connection.id, company_id=company.id)
                .one()
            )
    elif link.pushed_fingerprint != print_:
        _update_partner(client, link.external_id, link.department_id, company)
        link.pushed_fingerprint = print_
        link.last_pushed_at = utcnow()
        db.session.commit()
    return link


def _find_or_create_partner(client, company) -> tuple[dict, str]:
    """The partner with our customer code, created (with a department) if missing."""
    partner = client.find_partner_by_code(company.code[:30])
    if partner is None:
        body = {**mapping.partner_body(company), "departments": [mapping.department_body(company)]}
        try:
            partner = client.create_partner({k: v for k, v in body.items() if v})
            return partner, partner["departments"][0]["id"]
        except ValidationError:
            # Two workers raced: the other one created it; anything else is re-raised.
            partner = client.find_partner_by_code(company.code[:30])
            if partner is None:
                raise
    departments = partner.get("departments") or client.list_departments(partner["id"])
    if departments:
        department_id = departments[0]["id"]
    else:
        department_id = client.create_department(partner["id"], mapping.department_body(company))[
            "id"
        ]
    _update_partner(client, partner["id"], department_id, company)
    return partner, department_id


def _update_partner(client, partner_id, department_id, company) -> None:
    body = {k: v for k, v in mapping.partner_body(company).items() if v}
    client.update_partner(partner_id, body)
    client.update_department(partner_id, department_id, mapping.department_body(company))


def save_document(document: ExternalDocument, billing: dict) -> None:
    """Store what the provider answered on our document (and the deal's summary)."""
    document.external_id = billing["id"]
    document.number = billing.get("billing_number")
    document.total = billing.get("total_price")
    document.payment_status = billing.get("payment_status")
    document.billing_status = mapping.billing_status(billing)
    document.provider_url = billing.get("pdf_url")
    document.last_pushed_at = utcnow()
    document.last_error = None
    refresh_deal_status(document.deal)


def _reason(exc: ProviderError) -> str:
    """The provider's own words, field by field when it named the fields."""
    fields = getattr(exc, "field_errors", None) or {}
    if fields:
        return "; ".join(
            f"{name}: {', '.join(msgs)}" if name else ", ".join(msgs)
            for name, msgs in fields.items()
        )
    return exc.provider_message or exc.message


def _fail(run: SyncRun, document: ExternalDocument, message: str) -> None:
    db.session.rollback()
    document.billing_status = "failed"
    document.last_error = message
    refresh_deal_status(document.deal)
    runs.record_failure(run, message, deal_id=document.deal_id, document_id=document.id)
    run.done = 1
    runs.finish(run, message, failed=True)


def perform_create(run_id: int, document_id: int) -> str:
    """Create document ``document_id`` at its provider; returns the document's status."""
    run = db.session.get(SyncRun, run_id)
    document = db.session.get(ExternalDocument, document_id)
    if document.external_id:  # an earlier attempt got through and saved it
        runs.finish(run)
        return document.billing_status
    runs.start(run)
    if run.started_by_id is not None and not user_may(run.started_by_id, *CREATE_AT_PROVIDER):
        _fail(
            run,
            document,
            _(
                "The user who asked for this invoice may no longer create documents at the "
                "provider; nothing was sent."
            ),
        )
        return "failed"
    connection = document.connection
    if connection.status != "connected":
        _fail(run, document, _("The connection %(name)s is not active.", name=connection.name))
        return "failed"
    client, session = client_for(connection)
    try:
        link = ensure_partner(client, connection, document.deal.company)
        since = (document.created_at or utcnow()) - timedelta(days=1)
        billing = client.find_billing(document.reference, since)
        if billing is None:
            body = mapping.billing_body(document.deal, link.department_id)
            billing = client.create_billing(body, reference=document.reference)
        run.created = (run.created or 0) + 1  # by this run or an attempt of it
        save_document(document, billing)
        run.done = 1
        run.api_calls = (run.api_calls or 0) + session.calls
        runs.finish(run, _("Invoice %(number)s created.", number=document.number or ""))
    except ProviderError as exc:
        message = _(
            "%(provider)s refused the invoice: %(reason)s",
            provider=exc.provider_name,
            reason=_reason(exc),
        )
        _fail(run, document, message)
        run.api_calls = (run.api_calls or 0) + session.calls
        db.session.commit()
    return document.billing_status
