"""Versioned templates: a PDF layout or an email per (kind, language), reviewed before use.

An edit is a new version in "pending"; someone else with the approve right approves it
(or rejects it, saying why); only the newest approved version is used. Version 1 of
each is seeded from the layouts in app/pdf/templates and the emails below. Templates are
Jinja run in a sandbox; a version that does not compile or cannot render a sample is
refused when it is proposed, so a broken layout never reaches an approver.
"""

from __future__ import annotations

from dataclasses import replace

import sqlalchemy as sa
from flask_babel import gettext as _
from jinja2 import StrictUndefined, TemplateError
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models.crm import utcnow
from app.models.documents import DOCUMENT_KINDS
from app.models.publishing import TEMPLATE_PURPOSES, DocumentTemplate
from app.pdf.bounded import BoundedSandbox, check_source_size, render_bounded
from app.pdf.render import DEFAULT_TEMPLATES, render_invoice_pdf, template_source
from app.pdf.sample import sample_invoice_data
from app.security.rights import user_may
from app.services.documents.reminder_emails import (
    DEFAULT_REMINDERS,
    REMINDER_KIND,
    SAMPLE_REMINDER_CONTEXT,
)
from app.services.documents.transaction import locked
from app.services.errors import Forbidden, InvalidInput

LANGUAGES = ("ja", "en")
WRITE_RIGHT = ("can_write", "DocumentTemplate")
APPROVE_RIGHT = ("can_approve", "DocumentTemplate")
SUBJECT_MAX = 300
SEED_NOTE = "Default template shipped with Renkei"

# The default emails. ``title`` is the kind's name in the language; ``due_date`` is
# empty for kinds that have none, so one text serves the four kinds.
DEFAULT_EMAILS = {
    "ja": (
        "【{{ title }}】{{ number }} のご送付（{{ issuer_name }}）",
        "{{ recipient_name }} 御中\n\n"
        "いつもお世話になっております。{{ issuer_name }}でございます。\n"
        "{{ title }}（{{ number }}）をお送りいたします。添付のPDFをご確認ください。\n\n"
        "金額（税込）：{{ total }}\n"
        "{% if due_date %}お支払期限：{{ due_date }}\n{% endif %}"
        "\nご不明な点がございましたら、本メールにご返信ください。\n"
        "今後ともよろしくお願い申し上げます。\n\n"
        "{{ issuer_name }}\n",
    ),
    "en": (
        "{{ title }} {{ number }} from {{ issuer_name }}",
        "Dear {{ recipient_name }},\n\n"
        "Please find attached our {{ title|lower }} {{ number }}.\n\n"
        "Amount (tax incl.): {{ total }}\n"
        "{% if due_date %}Due date: {{ due_date }}\n{% endif %}"
        "\nIf you have any questions, simply reply to this email.\n\n"
        "Kind regards,\n{{ issuer_name }}\n",
    ),
}
# What a tested email template may use, with sample values.
SAMPLE_EMAIL_CONTEXT = {
    "title": "請求書",
    "number": "INV-000042",
    "recipient_name": "株式会社サンプル",
    "total": "￥186,562",
    "due_date": "2026-12-31",
    "issue_date": "2026-11-22",
    "issuer_name": "株式会社レンケイ商事",
}

_email_env = BoundedSandbox(autoescape=False, undefined=StrictUndefined, keep_trailing_newline=True)


def kinds_of(purpose: str) -> tuple[str, ...]:
    """The document kinds a purpose has templates for (reminders: invoices only)."""
    return (REMINDER_KIND,) if purpose == "reminder" else DOCUMENT_KINDS


def ensure_default_templates() -> int:
    """Seed an approved version 1 of every (purpose, kind, language) that has none yet."""
    have = {
        (t.purpose, t.kind, t.language)
        for t in db.session.query(
            DocumentTemplate.purpose, DocumentTemplate.kind, DocumentTemplate.language
        ).filter(DocumentTemplate.legal_entity_id.is_(None))
    }
    now = utcnow()
    made = 0
    for purpose in TEMPLATE_PURPOSES:
        for kind in kinds_of(purpose):
            for language in LANGUAGES:
                if (purpose, kind, language) in have:
                    continue
                if purpose == "pdf":
                    subject, body = None, template_source(DEFAULT_TEMPLATES[language])
                elif purpose == "reminder":
                    subject, body = DEFAULT_REMINDERS[language]
                else:
                    subject, body = DEFAULT_EMAILS[language]
                db.session.add(
                    DocumentTemplate(
                        purpose=purpose,
                        kind=kind,
                        language=language,
                        version=1,
                        subject=subject,
                        body=body,
                        state="approved",
                        change_note=SEED_NOTE,
                        decided_at=now,
                    )
                )
                made += 1
    db.session.commit()
    return made


def _scope(query, legal_entity):
    """Versions of one legal entity's template, or the global ones (entity None)."""
    if legal_entity is None:
        return query.filter(DocumentTemplate.legal_entity_id.is_(None))
    return query.filter(DocumentTemplate.legal_entity_id == legal_entity.id)


def active(
    purpose: str, kind: str, language: str, legal_entity=None, fallback: bool = True
) -> DocumentTemplate | None:
    """The version in use: the newest approved one — of ``legal_entity``'s own template
    when it has one, else (``fallback``) the global one (0020_entities)."""
    query = db.session.query(DocumentTemplate).filter_by(
        purpose=purpose, kind=kind, language=language, state="approved"
    )
    order = DocumentTemplate.version.desc()
    if legal_entity is None:
        return _scope(query, None).order_by(order).first()
    if not fallback:
        return _scope(query, legal_entity).order_by(order).first()
    # One statement: the entity's own newest version first, else the global one's.
    own_first = DocumentTemplate.legal_entity_id.is_(None)
    return (
        query.filter(
            sa.or_(
                DocumentTemplate.legal_entity_id == legal_entity.id,
                DocumentTemplate.legal_entity_id.is_(None),
            )
        )
        .order_by(own_first, order)
        .first()
    )


def require_active(purpose: str, kind: str, language: str, legal_entity=None) -> DocumentTemplate:
    """The version in use, or InvalidInput saying none is approved."""
    template = active(purpose, kind, language, legal_entity)
    if template is None:
        raise InvalidInput(
            _(
                "No approved %(purpose)s template for %(kind)s in %(language)s yet.",
                purpose=purpose,
                kind=kind,
                language=language,
            ),
            field="template",
        )
    return template


def versions(purpose: str, kind: str, language: str, legal_entity=None) -> list[DocumentTemplate]:
    """Every version of one template (global, or ``legal_entity``'s own), newest first."""
    query = db.session.query(DocumentTemplate).filter_by(
        purpose=purpose, kind=kind, language=language
    )
    return _scope(query, legal_entity).order_by(DocumentTemplate.version.desc()).all()


def render_email(template: DocumentTemplate, context: dict) -> tuple[str, str]:
    """The subject (one line) and body of an email template filled with ``context``."""
    try:
        check_source_size(template.body)
        subject = render_bounded(_email_env.from_string(template.subject or ""), context)
        body = render_bounded(_email_env.from_string(template.body), context)
    except TemplateError as exc:
        raise InvalidInput(
            _("The email template cannot be filled in: %(error)s", error=str(exc)), field="body"
        ) from exc
    # A header cannot hold a line break (and must not: header injection).
    subject = " ".join(subject.split())
    return subject[:SUBJECT_MAX], body


def preview_pdf(template: DocumentTemplate) -> bytes:
    """A PDF template version rendered with sample data (to review before approving)."""
    data = replace(sample_invoice_data(), kind=template.kind)
    if template.kind != "invoice":
        data = replace(data, due_date=None)
    return render_invoice_pdf(
        data,
        f"{template.kind}/{template.language}",
        str(template.version or "?"),
        source=template.body,
        language=template.language,
    )


def _check_renders(template: DocumentTemplate) -> None:
    try:
        if template.purpose == "pdf":
            preview_pdf(template)
        elif template.purpose == "reminder":
            render_email(template, SAMPLE_REMINDER_CONTEXT)
        else:
            render_email(template, SAMPLE_EMAIL_CONTEXT)
    except InvalidInput as exc:
        raise InvalidInput(
            _("This version is refused: %(error)s", error=str(exc)), field="body"
        ) from exc
    except Exception as exc:  # xhtml2pdf's own failures: any of them means "do not use"
        raise InvalidInput(
            _("This version is refused: a test render failed (%(error)s).", error=str(exc)),
            field="body",
        ) from exc


def propose(
    purpose: str,
    kind: str,
    language: str,
    body: str,
    subject: str | None = None,
    user=None,
    change_note: str | None = None,
    legal_entity=None,
) -> DocumentTemplate:
    """Save an edit as a new pending version, after a test render with sample data
    (``legal_entity``: a version of that entity's own template; None: the global one)."""
    if not user_may(user, *WRITE_RIGHT):
        raise Forbidden(_("You may not edit templates (it needs can_write on DocumentTemplate)."))
    if (
        purpose not in TEMPLATE_PURPOSES
        or kind not in kinds_of(purpose)
        or language not in LANGUAGES
    ):
        raise InvalidInput(_("Unknown template %(p)s/%(k)s/%(l)s.", p=purpose, k=kind, l=language))
    if not (body or "").strip():
        raise InvalidInput(_("The template is empty."), field="body")
    if purpose != "pdf" and not (subject or "").strip():
        raise InvalidInput(_("An email template needs a subject."), field="subject")
    if subject and len(subject) > SUBJECT_MAX:
        raise InvalidInput(_("The subject is too long."), field="subject")
    template = DocumentTemplate(
        purpose=purpose,
        kind=kind,
        language=language,
        subject=subject if purpose != "pdf" else None,
        body=body,
        state="pending",
        change_note=(change_note or "").strip() or None,
        created_by=user,
        legal_entity=legal_entity,
    )
    _check_renders(template)
    latest = (
        db.session.query(func.max(DocumentTemplate.version))
        .filter_by(purpose=purpose, kind=kind, language=language)
        .scalar()
    )
    template.version = (latest or 0) + 1
    db.session.add(template)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise InvalidInput(
            _("Someone saved a version of this template at the same moment; save again."),
            field="body",
        ) from None
    return template


def decide(template: DocumentTemplate, user, approve: bool, comment: str | None = None):
    """Approve or reject a pending version; not one's own, and a rejection says why.

    The version's row is locked first (and reloaded): of decisions taken at the same
    moment, one is taken and the others are told it was already decided.
    """
    if not user_may(user, *APPROVE_RIGHT):
        raise Forbidden(
            _("You may not approve templates (it needs can_approve on DocumentTemplate).")
        )
    with locked(template):
        if template.state != "pending":
            raise InvalidInput(_("This version was already decided."), field="state")
        if template.created_by_id is not None and template.created_by_id == getattr(
            user, "id", None
        ):
            raise Forbidden(
                _("You cannot approve your own template version; another approver must.")
            )
        comment = (comment or "").strip()
        if not approve and not comment:
            raise InvalidInput(_("Say why the version is rejected."), field="comment")
        current = active(
            template.purpose,
            template.kind,
            template.language,
            template.legal_entity,
            fallback=False,
        )
        if approve and current is not None and current.version > template.version:
            raise InvalidInput(
                _(
                    "Version %(v)s is newer and already approved, so this one would never be "
                    "used. Reject it, or propose a new version.",
                    v=current.version,
                ),
                field="state",
            )
        template.state = "approved" if approve else "rejected"
        template.decided_by = user
        template.decided_at = utcnow()
        template.decision_comment = comment or None
        db.session.commit()
    return template
