"""REST API (FAB ModelRestApi) for the CRM records; OpenAPI at /api/v1/_openapi."""

from __future__ import annotations

from flask import g, request
from marshmallow import ValidationError
from marshmallow.validate import And, Length, OneOf, Range
from sqlalchemy import Numeric

from app.api.base import RenkeiApi
from app.extensions import db
from app.models.choices import CURRENCIES, DEAL_STAGES, TAX_RATES
from app.models.crm import Company, Contact, Deal, DealLine, DealType, Product
from app.security.permissions import API_VERBS
from app.services import custom_fields
from app.services.errors import InvalidInput
from app.services.money import check_decimal, parse_amount
from app.services.registration import normalize_registration_number
from app.views.datamodel import datamodel


def _registration_number(value):
    try:
        normalize_registration_number(value)
    except InvalidInput as exc:
        raise ValidationError(str(exc)) from None


def _code_valid(value):
    if not str(value).strip():
        raise ValidationError("The code cannot be blank.")


# FAB takes one validator per column: combine several with And.
TAX_RATE = OneOf(list(TAX_RATES), error="Unknown tax rate {input}: use one of {choices}.")
CURRENCY = OneOf(list(CURRENCIES), error="Unknown currency {input}: use one of {choices}.")
NOT_NEGATIVE = Range(min=0, error="Must not be negative.")


class CrmApi(RenkeiApi):
    """Common settings of the CRM APIs."""

    allow_browser_login = True
    method_permission_name = API_VERBS
    page_size = 50
    max_page_size = 500

    def _bad_relations(self, columns) -> dict[str, list[str]]:
        """Relations must be given as a record id; anything else would crash the loader."""
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return {}
        errors = {}
        for column in columns:
            if column in body and self.datamodel.is_relation(column):
                value = body[column]
                if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                    errors[column] = [f"Give the id (a whole number) of the {column}."]
        return errors

    def _bad_numbers(self, columns) -> dict[str, list[str]]:
        """Numbers as typed, before the schema rounds them to the column's decimals: too
        large or too precise for the column is refused (services/money.py words it)."""
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return {}
        errors = {}
        table = self.datamodel.obj.__table__
        for column in columns:
            if column not in body or body[column] is None or column not in table.columns:
                continue
            kind = table.columns[column].type
            if isinstance(kind, Numeric) and kind.scale is not None:
                try:
                    if isinstance(body[column], str):
                        # as people type it ("13,870", "１３８７０", "¥13,870", "13870円"):
                        # the schema then loads the plain number (the body is cached)
                        plain = parse_amount(body[column], column, column)
                        body[column] = None if plain is None else format(plain, "f")
                        if plain is None:
                            continue
                    check_decimal(
                        body[column],
                        column,
                        column,
                        places=kind.scale,
                        limit=10 ** (kind.precision - kind.scale),
                    )
                except InvalidInput as exc:
                    errors[column] = [str(exc)]
        return errors

    def post_headless(self):
        """Create a record, refusing malformed relation ids and numbers with 422."""
        errors = self._bad_relations(self.add_columns) | self._bad_numbers(self.add_columns)
        return self.response_422(message=errors) if errors else super().post_headless()

    def put_headless(self, pk):
        """Update a record, refusing malformed relation ids and numbers with 422."""
        errors = self._bad_relations(self.edit_columns) | self._bad_numbers(self.edit_columns)
        return self.response_422(message=errors) if errors else super().put_headless(pk)


class CompanyApi(CrmApi):
    class_permission_name = "Company"
    resource_name = "company"
    datamodel = datamodel(Company)
    _columns = [
        "code",
        "name",
        "kana",
        "postal_code",
        "prefecture",
        "address1",
        "address2",
        "phone",
        "email",
        "invoice_registration_number",
        "notes",
    ]
    list_columns = ["id", *_columns, "updated_at"]
    show_columns = ["id", *_columns, "created_at", "updated_at"]
    add_columns = edit_columns = _columns
    search_columns = ["code", "name", "kana", "prefecture", "invoice_registration_number"]
    order_columns = ["code", "name", "kana", "updated_at"]
    validators_columns = {
        "code": And(Length(min=1, max=30), _code_valid),
        "name": Length(min=1, max=200),
        "invoice_registration_number": _registration_number,
    }

    # ---- custom fields: ``custom_fields`` {key: text or null}, read and written ----------

    def _custom_fields_body(self) -> dict | None:
        """Take ``custom_fields`` out of the JSON body (FAB's schema does not know it) and
        check it; the errors as a 422 message, or None when there are none."""
        g.pop("company_custom_fields", None)
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or "custom_fields" not in body:
            return None
        values, errors = custom_fields.api_values(body.pop("custom_fields"))
        if errors:
            return {"custom_fields": errors}
        g.company_custom_fields = values
        return None

    def post_headless(self):
        """Create a company; ``custom_fields`` checked by each field's type (422)."""
        errors = self._custom_fields_body()
        return self.response_422(message=errors) if errors else super().post_headless()

    def put_headless(self, pk):
        """Update a company; ``custom_fields`` checked by each field's type (422)."""
        errors = self._custom_fields_body()
        return self.response_422(message=errors) if errors else super().put_headless(pk)

    def pre_add(self, item):
        values = g.pop("company_custom_fields", None)
        if values:
            custom_fields.set_values(item, values, g.user)

    pre_update = pre_add

    def pre_get(self, data):
        company = db.session.get(Company, data["id"])
        data["result"]["custom_fields"] = custom_fields.api_read(company)

    def pre_get_list(self, data):
        stored = dict(
            db.session.query(Company.id, Company.custom_fields).filter(
                Company.id.in_(data["ids"] or [-1])
            )
        )
        names = custom_fields.defined()
        for pk, row in zip(data["ids"], data["result"], strict=False):
            row["custom_fields"] = custom_fields.api_read_text(stored.get(pk), names)

    def add_api_spec(self, api_spec):
        """The document says ``custom_fields`` too (read, and written by POST and PUT)."""
        super().add_api_spec(api_spec)
        schemas = api_spec.components.schemas
        for method in ("get", "get_list", "post", "put"):
            schema = schemas.get(f"{type(self).__name__}.{method}")
            if isinstance(schema, dict):
                schema.setdefault("properties", {})["custom_fields"] = custom_fields.API_SCHEMA


class ContactApi(CrmApi):
    class_permission_name = "Contact"
    resource_name = "contact"
    datamodel = datamodel(Contact)
    _columns = ["name", "kana", "department", "title", "email", "phone"]
    list_columns = ["id", "company.id", "company.name", *_columns]
    show_columns = ["id", "company.id", "company.name", *_columns, "created_at", "updated_at"]
    add_columns = edit_columns = [
        "company",
        "name",
        "kana",
        "department",
        "title",
        "email",
        "phone",
    ]
    search_columns = ["name", "kana", "company", "email"]
    validators_columns = {"name": Length(min=1, max=100)}


class ProductApi(CrmApi):
    class_permission_name = "Product"
    resource_name = "product"
    datamodel = datamodel(Product)
    _columns = ["code", "name", "unit", "unit_price", "currency", "tax_rate", "description"]
    list_columns = ["id", *_columns]
    show_columns = ["id", *_columns, "created_at", "updated_at"]
    add_columns = edit_columns = _columns
    search_columns = ["code", "name", "tax_rate", "unit_price", "currency"]
    validators_columns = {
        "code": And(Length(min=1, max=30), _code_valid),
        "name": Length(min=1, max=200),
        "unit_price": NOT_NEGATIVE,
        "tax_rate": TAX_RATE,
        "currency": CURRENCY,
    }


class DealTypeApi(CrmApi):
    class_permission_name = "DealType"
    resource_name = "deal_type"
    datamodel = datamodel(DealType)
    list_columns = show_columns = ["id", "code", "name", "description"]
    add_columns = edit_columns = ["code", "name", "description"]
    search_columns = ["code", "name"]
    validators_columns = {
        "code": And(Length(min=1, max=30), _code_valid),
        "name": Length(min=1, max=100),
    }


class DealApi(CrmApi):
    class_permission_name = "Deal"
    resource_name = "deal"
    datamodel = datamodel(Deal)
    _columns = [
        "title",
        "company.id",
        "company.name",
        "contact.id",
        "contact.name",
        "deal_type.id",
        "deal_type.name",
        "stage",
        "probability",
        "owner.id",
        "owner.username",
        "currency",
        "amount",
        "expected_close_date",
        "description",
    ]
    list_columns = ["id", *_columns, "updated_at"]
    show_columns = ["id", *_columns, "created_at", "updated_at"]
    add_columns = edit_columns = [
        "title",
        "company",
        "contact",
        "deal_type",
        "stage",
        "probability",
        "owner",
        "currency",
        "amount",
        "expected_close_date",
        "description",
    ]
    search_columns = [
        "title",
        "company",
        "deal_type",
        "stage",
        "owner",
        "currency",
        "amount",
        "probability",
        "expected_close_date",
    ]
    validators_columns = {
        "title": Length(min=1, max=200),
        "stage": OneOf(list(DEAL_STAGES), error="Unknown stage {input}: use one of {choices}."),
        "probability": Range(min=0, max=100, error="Probability is from 0 to 100."),
        "amount": NOT_NEGATIVE,
        "currency": CURRENCY,
    }


# What a person writes on a line item (deal or document), and how the API checks it.
LINE_FIELDS = ["name", "unit", "unit_price", "quantity", "discount_percent", "tax_rate"]
LINE_VALIDATORS = {
    "name": Length(min=1, max=200),
    "unit_price": NOT_NEGATIVE,
    "quantity": Range(min=0, min_inclusive=False, error="The quantity must be > 0."),
    "discount_percent": Range(min=0, max=100, error="The discount is 0 to 100 %."),
    "tax_rate": TAX_RATE,
}


class DealLineApi(CrmApi):
    class_permission_name = "Deal"
    resource_name = "deal_line"
    datamodel = datamodel(DealLine)
    _columns = [
        "deal.id",
        "position",
        "product.id",
        "product.code",
        *LINE_FIELDS,
        "amount",
    ]
    list_columns = show_columns = ["id", *_columns]
    add_columns = edit_columns = ["deal", "position", "product", *LINE_FIELDS]
    search_columns = ["deal", "product", "tax_rate"]
    validators_columns = LINE_VALIDATORS


CRM_APIS = [CompanyApi, ContactApi, ProductApi, DealTypeApi, DealApi, DealLineApi]
