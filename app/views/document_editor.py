"""The one-page document editor: header and line grid on one page, saved in one go.

The page (renkei/document_editor.html + static/renkei-editor.js) asks these routes as it
is filled in: products and customers as you type, a customer's contacts and default due
date, and the totals of the lines as typed — computed here by the rules the saved
document gets (services.documents.drafts), never in the browser. Saving posts the whole
draft as JSON; a refusal answers 422 with a sentence per field, so nothing typed is lost.
"""

from __future__ import annotations

import datetime as dt

from flask import abort, g, jsonify, request, url_for
from flask_appbuilder import expose, has_access
from flask_appbuilder.security.decorators import has_access_api
from flask_babel import gettext as _
from sqlalchemy import func, or_

from app.extensions import db
from app.models.choices import TAX_RATE_LABELS, currency_choices
from app.models.crm import Company, Contact, Product
from app.models.document_kinds import KINDS
from app.models.documents import Document, LegalEntity
from app.services.documents import drafts
from app.services.documents.due_dates import default_due_date, payment_terms_days
from app.services.errors import Forbidden, InvalidInput, NotFound
from app.services.money import minor_units
from app.views.money import Money

SUGGESTIONS = 15


def _plain(value) -> str:
    return "" if value is None else format(value.normalize(), "f")


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _line_state(line) -> dict:
    return {
        "id": line.id,
        "product": line.product_id or "",
        "product_label": line.product.name if line.product is not None else "",
        "name": line.name or "",
        "unit": line.unit or "",
        "unit_price": _plain(line.unit_price),
        "quantity": _plain(line.quantity),
        "discount_percent": _plain(line.discount_percent),
        "tax_rate": line.tax_rate or "",
    }


def _document_state(document: Document) -> dict:
    """What the editor starts with for an existing draft."""
    header = {
        name: getattr(document, f"{name}_id") or ""
        for name in ("legal_entity", "company", "contact")
    }
    header.update(
        {
            name: (getattr(document, name) or "")
            for name in (
                "recipient_name",
                "recipient_email",
                "currency",
                "language",
                "terms",
                "notes",
            )
        }
    )
    for name in ("issue_date", "transaction_date", "due_date"):
        value = getattr(document, name)
        header[name] = value.isoformat() if value else ""
    header["company_label"] = document.company.name if document.company else ""
    return {
        "header": header,
        "lines": [_line_state(line) for line in document.lines],
        "version": drafts.version(document),
    }


def _totals_json(totals, currency: str, draft) -> dict:
    def money(amount):
        return str(Money(amount, currency))

    return {
        "rates": [
            {
                "code": rate.rate_code,
                "label": str(TAX_RATE_LABELS.get(rate.rate_code, rate.rate_code)),
                "reduced": rate.reduced,
                "net": money(rate.net),
                "tax": money(rate.tax),
                "gross": money(rate.gross),
            }
            for rate in totals.rates
        ],
        "net": money(totals.net),
        "tax": money(totals.tax),
        "gross": money(totals.gross),
        "gross_plain": _plain(totals.gross),
        "lines": [money(line.amount) if line is not None else "" for line in draft.lines],
        "errors": draft.errors,
    }


class DocumentEditorRoutes:
    """The editor's routes on a document list view (``kind``, ``datamodel`` from it)."""

    def _editable_draft(self, pk) -> Document:
        document = self.datamodel.get(pk, self._base_filters)
        if document is None:
            abort(404)
        return document

    @expose("/editor/")
    @expose("/editor/<int:pk>")
    @has_access
    def editor(self, pk=None):
        """The one-page editor: a new draft, or draft ``pk``."""
        kind = KINDS[self.kind]
        state = {"header": drafts.new_header(self.kind), "lines": [], "version": ""}
        document = None
        if pk is not None:
            document = self._editable_draft(pk)
            if document.state != "draft":
                from app.views.refusals import back_to

                back_to(url_for(".show", pk=pk))
                raise InvalidInput(_("Only a draft can be edited."), field="state")
            state = _document_state(document)
        entities = db.session.query(LegalEntity).order_by(LegalEntity.id).all()
        return self.render_template(
            "renkei/document_editor.html",
            title=(
                _("Edit %(number)s", number=document.number)
                if document
                else _("New %(kind)s", kind=kind.label)
            ),
            document=document,
            kind=kind,
            state=state,
            entities=[
                {"id": e.id, "name": e.name, "terms": payment_terms_days(None, e)} for e in entities
            ],
            currencies=currency_choices(),
            tax_rates=[(code, str(label)) for code, label in TAX_RATE_LABELS.items()],
            urls={
                "products": url_for(".editor_products"),
                "companies": url_for(".editor_companies"),
                "customer": url_for(".editor_customer"),
                "totals": url_for(".editor_totals"),
                "save": url_for(".editor_save", pk=pk) if pk else url_for(".editor_save"),
            },
            cancel_url=url_for(".show", pk=pk) if pk else url_for(".list"),
            # Jinja's _() %-formats its result, which a "%" in the label would break.
            discount_label=_("Discount (%)"),
        )

    @expose("/editor/products")
    @has_access_api
    def editor_products(self):
        """Products whose name or code contains ``q`` (price, unit and tax rate with them)."""
        text = (request.args.get("q") or "").strip()[:100]
        query = db.session.query(Product)
        if text:
            query = query.filter(
                or_(Product.name.ilike(_like(text)), Product.code.ilike(_like(text)))
            )
        found = query.order_by(Product.name).limit(SUGGESTIONS).all()
        return jsonify(
            [
                {
                    "id": p.id,
                    "code": p.code,
                    "name": p.name,
                    "unit": p.unit or "",
                    "unit_price": _plain(p.unit_price),
                    "currency": p.currency,
                    "price_label": str(Money(p.unit_price, p.currency)),
                    "tax_rate": p.tax_rate or "standard_10",
                    "tax_label": str(TAX_RATE_LABELS.get(p.tax_rate, p.tax_rate)),
                }
                for p in found
            ]
        )

    @expose("/editor/companies")
    @has_access_api
    def editor_companies(self):
        """Customers whose name, kana or code contains ``q``."""
        text = (request.args.get("q") or "").strip()[:100]
        query = db.session.query(Company)
        if text:
            like = _like(text)
            query = query.filter(
                or_(Company.name.ilike(like), Company.kana.ilike(like), Company.code.ilike(like))
            )
        found = query.order_by(func.lower(Company.name)).limit(SUGGESTIONS).all()
        return jsonify([{"id": c.id, "code": c.code, "name": c.name} for c in found])

    @expose("/editor/customer")
    @has_access_api
    def editor_customer(self):
        """A customer's contacts (theirs only), email and the default due date."""
        try:
            company = db.session.get(Company, int(request.args.get("company", "")))
            entity_id = request.args.get("legal_entity") or ""
            entity = db.session.get(LegalEntity, int(entity_id)) if entity_id else None
        except (ValueError, OverflowError):
            company = entity = None
        if company is None:
            return jsonify({"error": _("Choose the customer.")}), 404
        try:
            issued = dt.date.fromisoformat(request.args.get("issue_date") or "")
        except ValueError:
            issued = None
        due = default_due_date(self.kind, issued, company, entity) if issued else None
        contacts = (
            db.session.query(Contact)
            .filter(Contact.company_id == company.id)
            .order_by(Contact.name)
            .all()
        )
        return jsonify(
            {
                "name": company.name,
                "email": company.email or "",
                "terms": payment_terms_days(company, entity),
                "due_date": due.isoformat() if due else "",
                "contacts": [
                    {
                        "id": c.id,
                        "name": c.name,
                        "email": c.email or "",
                        "department": c.department or "",
                    }
                    for c in contacts
                ],
            }
        )

    @expose("/editor/totals", methods=["POST"])
    @has_access_api
    def editor_totals(self):
        """The totals per tax rate of the lines as typed, by the saved document's rules."""
        data = request.get_json(silent=True)
        try:
            draft = drafts.read_draft(self.kind, data)
            totals = drafts.totals_of(draft)
        except InvalidInput as refused:
            return jsonify({"errors": {refused.field or "form": str(refused)}}), 422
        finally:
            db.session.rollback()  # nothing here is saved
        currency = draft.header.get("currency") or "JPY"
        answer = _totals_json(totals, currency, draft)
        answer["minor_units"] = minor_units(currency) if currency else 0
        return jsonify(answer)

    @expose("/editor/save", methods=["POST"])
    @expose("/editor/save/<int:pk>", methods=["POST"])
    @has_access_api
    def editor_save(self, pk=None):
        """Save the draft in one transaction; answer where it is, or the refusals per field."""
        document = self._editable_draft(pk) if pk is not None else None
        data = request.get_json(silent=True)
        try:
            saved = drafts.save_draft(self.kind, data, g.user, document)
        except drafts.DraftRefused as refused:
            db.session.rollback()
            return jsonify({"errors": refused.errors}), 422
        except (Forbidden, NotFound) as refused:
            db.session.rollback()
            return jsonify({"errors": {"form": str(refused)}}), 403
        except InvalidInput as refused:
            db.session.rollback()
            status = 409 if refused.field == "version" else 422
            return jsonify({"errors": {refused.field or "form": str(refused)}}), status
        return jsonify(
            {"id": saved.id, "number": saved.number, "url": url_for(".show", pk=saved.id)}
        )
