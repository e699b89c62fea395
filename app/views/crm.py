"""Screens for the CRM records: they declare, the rules live in services."""

from __future__ import annotations

from flask import flash, g, jsonify, request
from flask_appbuilder import ModelView, expose, has_access
from flask_appbuilder.fieldwidgets import BS3TextFieldWidget, Select2Widget
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from wtforms import IntegerField, SelectField, StringField
from wtforms.validators import Email, Optional

from app.models.choices import (
    BILLING_STATUS_LABELS,
    DEAL_STAGE_LABELS,
    TAX_RATE_LABELS,
    currency_choices,
    stage_choices,
    tax_rate_choices,
)
from app.models.crm import Company, Contact, Deal, DealLine, DealType, Product
from app.security.permissions import SCREEN_VERBS
from app.views import validators as v
from app.views.automation_events import AutomationEventView
from app.views.billing_milestones import deal_panel as milestone_panel
from app.views.csv_export import CsvExportMixin, display_name
from app.views.custom_fields import CustomFieldsMixin
from app.views.datamodel import datamodel
from app.views.labels import LABELS
from app.views.list_filters import RemoteSelectField
from app.views.list_filters import lookup as lookup
from app.views.number_field import AmountField
from app.views.sync import (
    DealSyncMixin,
    can_create_at_provider,
    document_rows,
    renkei_documents,
)
from app.views.widgets import BlankChoiceInWords, LinkedListWidget


def _select(label, choices, validators=()):
    return SelectField(label, choices=choices, widget=Select2Widget(), validators=list(validators))


def _company_filter():
    """The company filter of a list: searched as you type, never every company at once."""
    return RemoteSelectField(_l("Company"), model=Company, endpoint="CompanyView.lookup")


# A deal's billing status coloured as documents' states are (Bootstrap label classes).
BILLING_BADGES = {
    "none": "default",
    "awaiting_approval": "warning",
    "pending": "info",
    "draft": "default",
    "sent": "primary",
    "unpaid": "primary",
    "partially_paid": "info",
    "paid": "success",
    "overdue": "danger",
    "void": "default",
    "deleted": "danger",
    "failed": "danger",
}


def billing_badge(code) -> Markup:
    """A billing status as a coloured label in the reader's language."""
    label = BILLING_STATUS_LABELS.get(code, code)
    css = BILLING_BADGES.get(code, "default")
    return Markup('<span class="label label-{} billing-status" data-status="{}">{}</span>').format(
        css, code, label
    )


def _decimal(label, validators, default=None, description=""):
    return AmountField(
        label,
        validators=[Optional(), *validators],
        default=default,
        description=description,
        widget=BS3TextFieldWidget(),
    )


def plain_number(value):
    """1.0000 → 1, 2.5000 → 2.5: quantities and percentages as people write them."""
    if value in (None, ""):
        return ""
    return f"{value.normalize():f}" if hasattr(value, "normalize") else value


def _translated(mapping):
    return lambda value: mapping.get(value, value)


class CrmView(BlankChoiceInWords, CsvExportMixin, ModelView):
    """Common settings of the CRM screens."""

    label_columns = LABELS
    page_size = 50
    method_permission_name = SCREEN_VERBS
    list_widget = LinkedListWidget


class DealLineView(CrmView):
    class_permission_name = "Deal"
    datamodel = datamodel(
        DealLine, {"unit_price": "deal.currency", "amount": "deal.currency"}, coded=("tax_rate",)
    )
    list_title = _l("Deal lines")
    show_title = add_title = edit_title = _l("Deal line")
    list_columns = [
        "deal",
        "position",
        "name",
        "unit_price",
        "quantity",
        "unit",
        "discount_percent",
        "tax_rate",
        "amount",
    ]
    csv_columns = [
        "deal.title",
        "position",
        "product.code",
        "name",
        "unit_price",
        "quantity",
        "unit",
        "discount_percent",
        "tax_rate",
        "amount",
    ]
    search_columns = ["deal", "product", "name", "tax_rate", "amount"]
    add_columns = edit_columns = [
        "deal",
        "position",
        "product",
        "name",
        "unit_price",
        "quantity",
        "unit",
        "discount_percent",
        "tax_rate",
    ]
    base_order = ("position", "asc")
    csv_words = {"tax_rate": TAX_RATE_LABELS}
    formatters_columns = {
        "tax_rate": _translated(TAX_RATE_LABELS),
        "quantity": plain_number,
        "discount_percent": plain_number,
    }
    validators_columns = {"quantity": [v.POSITIVE_QUANTITY]}
    add_form_extra_fields = edit_form_extra_fields = {
        "name": StringField(
            _l("Name"),
            validators=[v.name_or_product],
            description=_l("Leave blank to use the product's name."),
            widget=BS3TextFieldWidget(),
        ),
        "unit_price": _decimal(
            _l("Unit price"),
            [v.NON_NEGATIVE_PRICE],
            description=_l("Leave blank to use the product's price."),
        ),
        "discount_percent": _decimal(
            _l("Discount (%)"), [v.DISCOUNT_MIN, v.DISCOUNT_MAX], default=0
        ),
        "tax_rate": _select(
            _l("Tax rate"), [("", "")] + tax_rate_choices(), [Optional(), v.known_tax_rate]
        ),
    }
    search_form_extra_fields = {"tax_rate": _select(_l("Tax rate"), tax_rate_choices())}


class ContactView(CrmView):
    class_permission_name = "Contact"
    datamodel = datamodel(Contact)
    label_columns = {**LABELS, "title": _l("Job title")}
    list_title = _l("Contacts")
    show_title = add_title = edit_title = _l("Contact")
    list_columns = ["name", "kana", "company", "department", "title", "email", "phone"]
    csv_columns = ["name", "kana", "company.name", "department", "title", "email", "phone"]
    search_columns = ["name", "kana", "company", "department", "email"]
    search_form_extra_fields = {"company": _company_filter()}
    add_columns = edit_columns = [
        "company",
        "name",
        "kana",
        "department",
        "title",
        "email",
        "phone",
    ]
    validators_columns = {"email": [Optional(), Email(message=_l("Not a valid email address."))]}


class DealView(DealSyncMixin, CrmView):
    class_permission_name = "Deal"
    datamodel = datamodel(
        Deal, {"amount": "currency"}, coded=("stage", "currency", "billing_status")
    )
    list_title = _l("Deals")
    show_title = add_title = edit_title = _l("Deal")
    list_columns = [
        "title",
        "company",
        "deal_type",
        "stage",
        "probability",
        "amount",
        "owner",
        "expected_close_date",
        "billing_status",
    ]
    # Codes in the reader's words as on screen (won → 受注), people by name, times in Tokyo.
    csv_columns = [
        "id",
        "title",
        "company.name",
        "contact.name",
        "deal_type.name",
        "stage",
        "probability",
        "currency",
        "amount",
        "owner",
        "expected_close_date",
        "billing_status",
        "updated_at",
    ]
    csv_expressions = {"owner": display_name("owner")}
    csv_words = {"stage": DEAL_STAGE_LABELS, "billing_status": BILLING_STATUS_LABELS}
    order_columns = ["title", "stage", "probability", "amount", "expected_close_date"]
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
        "billing_status",
        "created_at",
    ]
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
    show_columns = [
        "title",
        "company",
        "contact",
        "deal_type",
        "stage",
        "probability",
        "owner",
        "amount",
        "expected_close_date",
        "billing_status",
        "description",
        "created_at",
        "updated_at",
    ]
    base_order = ("id", "desc")
    related_views = [DealLineView, AutomationEventView]
    show_template = "renkei/deal_show.html"
    list_template = "renkei/deal_list.html"
    extra_args = {
        "deal_documents": document_rows,
        "renkei_documents": renkei_documents,
        "can_create_at_provider": can_create_at_provider,
        "milestone_panel": milestone_panel,
    }
    formatters_columns = {
        "stage": _translated(DEAL_STAGE_LABELS),
        "billing_status": billing_badge,
    }
    add_form_extra_fields = edit_form_extra_fields = {
        "amount": _decimal(
            _l("Amount"),
            [v.NON_NEGATIVE_AMOUNT],
            description=_l(
                "Contract amount before tax. When the deal has lines, their total is used."
            ),
        ),
        "probability": IntegerField(
            _l("Probability (%)"),
            validators=[Optional(), v.PROBABILITY_MIN, v.PROBABILITY_MAX],
            description=_l("Leave blank to follow the stage."),
            widget=BS3TextFieldWidget(),
        ),
        "stage": _select(_l("Stage"), stage_choices()),
        "currency": _select(_l("Currency"), currency_choices()),
    }
    search_form_extra_fields = {
        "company": _company_filter(),
        "stage": _select(_l("Stage"), list(DEAL_STAGE_LABELS.items())),
        "currency": _select(_l("Currency"), currency_choices()),
        # Lazy labels (billing_status_choices() gives str, fixed at import): the select
        # shows them in the reader's language.
        "billing_status": _select(
            _l("Billing status"), [(code, label) for code, label in BILLING_STATUS_LABELS.items()]
        ),
    }

    def pre_add(self, item):
        """A new deal belongs to whoever created it unless an owner was chosen."""
        if item.owner is None and getattr(g, "user", None) is not None:
            item.owner = g.user


class ProductView(CrmView):
    class_permission_name = "Product"
    datamodel = datamodel(Product, {"unit_price": "currency"}, coded=("tax_rate", "currency"))
    list_title = _l("Products")
    show_title = add_title = edit_title = _l("Product")
    list_columns = ["code", "name", "unit", "unit_price", "tax_rate"]
    csv_columns = ["code", "name", "unit", "currency", "unit_price", "tax_rate", "description"]
    csv_words = {"tax_rate": TAX_RATE_LABELS}
    search_columns = ["code", "name", "tax_rate", "unit_price", "currency"]
    add_columns = edit_columns = [
        "code",
        "name",
        "unit",
        "currency",
        "unit_price",
        "tax_rate",
        "description",
    ]
    formatters_columns = {"tax_rate": _translated(TAX_RATE_LABELS)}
    validators_columns = {"unit_price": [v.NON_NEGATIVE_PRICE]}
    add_form_extra_fields = edit_form_extra_fields = {
        "tax_rate": _select(_l("Tax rate"), tax_rate_choices(), [v.known_tax_rate]),
        "currency": _select(_l("Currency"), currency_choices()),
    }
    search_form_extra_fields = {
        "tax_rate": _select(_l("Tax rate"), tax_rate_choices()),
        "currency": _select(_l("Currency"), currency_choices()),
    }


class DealTypeView(CrmView):
    class_permission_name = "DealType"
    datamodel = datamodel(DealType)
    list_title = _l("Deal types")
    show_title = add_title = edit_title = _l("Deal type")
    list_columns = ["code", "name", "description"]
    search_columns = ["code", "name"]
    add_columns = edit_columns = ["code", "name", "description"]
    related_views = [DealView]


class CompanyView(CustomFieldsMixin, CrmView):
    class_permission_name = "Company"
    datamodel = datamodel(Company)

    @expose("/lookup")
    @has_access
    def lookup(self):
        """Companies whose name, kana or code contains ``q`` (JSON, for list filters)."""
        return jsonify({"results": lookup(Company, request.args.get("q", ""))})

    list_title = _l("Companies")
    show_title = add_title = edit_title = _l("Company")
    list_columns = ["code", "name", "kana", "prefecture", "phone", "invoice_registration_number"]
    # Every field a person fills in is also a column of the CSV.
    add_columns = edit_columns = csv_columns = [
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
        "payment_terms_days",
        "notes",
    ]
    search_columns = [
        "code",
        "name",
        "kana",
        "prefecture",
        "invoice_registration_number",
        "created_at",
    ]
    related_views = [ContactView, DealView]
    show_template = "renkei/company_show.html"
    show_exclude_columns = ["custom_fields"]  # listed one by one below the fields
    add_template = "renkei/company_add.html"
    description_columns = {
        "invoice_registration_number": _l("適格請求書発行事業者登録番号: T + 13 digits."),
        "payment_terms_days": _l(
            "Days from issue to due date on this customer's invoices; blank: the issuer's."
        ),
    }
    validators_columns = {
        "invoice_registration_number": [Optional(), v.registration_number],
        "payment_terms_days": [Optional(), v.PAYMENT_TERMS],
        "email": [Optional(), Email(message=_l("Not a valid email address."))],
    }

    def pre_add(self, item):
        self._set_custom_fields(item)

    def pre_update(self, item):
        self._set_custom_fields(item)

    def post_add(self, item):
        self._after_change(item)

    def post_update(self, item):
        self._after_change(item)

    def _after_change(self, item):
        """Connections that sync after each change push this company (a queued run)."""
        from app.services.errors import RenkeiError
        from app.services.sync.customer_runs import after_company_change

        try:
            after_company_change(item)
        except RenkeiError as exc:  # paused meanwhile, queue down: the save stands
            flash(str(exc), "warning")
