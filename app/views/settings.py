"""Settings → Approval rules and Legal entities. Readers (per profile) see them; writing
them is for administrators, who hold every permission ("write" on these resources)."""

from __future__ import annotations

from flask import Response, abort, url_for
from flask_appbuilder import ModelView, expose, has_access
from flask_appbuilder.fieldwidgets import BS3TextFieldWidget
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from wtforms import FileField, StringField
from wtforms.validators import Optional

from app.models.choices import ROUNDING_LABELS, currency_choices
from app.models.documents import ApprovalRule, LegalEntity
from app.services.errors import InvalidInput
from app.views import validators as v
from app.views.crm import plain_number
from app.views.document_data import KeepFormOnRuleError, interface
from app.views.documents import _select
from app.views.labels import LABELS
from app.views.number_field import AmountField
from app.views.widgets import LinkedListWidget

SETTINGS_VERBS = {
    "list": "read",
    "show": "read",
    "logo": "read",
    "add": "write",
    "edit": "write",
    "delete": "write",
}
LOGO_TYPES = {"image/png", "image/jpeg", "image/gif"}
LOGO_MAX_BYTES = 512 * 1024


class SettingsView(KeepFormOnRuleError, ModelView):
    method_permission_name = SETTINGS_VERBS
    base_permissions = ["can_read", "can_write"]
    include_route_methods = {"list", "show", "add", "edit", "delete", "logo"}
    list_widget = LinkedListWidget


class ApprovalRuleView(SettingsView):
    """Thresholds that send a document to approval."""

    route_base = "/approvalrules"
    class_permission_name = "ApprovalRule"
    datamodel = interface(ApprovalRule, {"min_amount": "currency"})
    list_title = _l("Approval rules")
    show_title = add_title = edit_title = _l("Approval rule")
    label_columns = {
        **LABELS,
        "min_amount": _l("Amount at or above"),
        "max_discount_percent": _l("Discount above (%)"),
        "active": _l("Active"),
    }
    list_columns = ["name", "currency", "min_amount", "max_discount_percent", "active"]
    show_columns = add_columns = edit_columns = list_columns
    description_columns = {
        "currency": _l("An amount threshold applies to documents in this currency."),
        "max_discount_percent": _l("Any line with a larger discount needs approval."),
    }
    formatters_columns = {"max_discount_percent": plain_number}
    add_form_extra_fields = edit_form_extra_fields = {
        "currency": _select(_l("Currency"), [("", "")] + currency_choices()),
        "min_amount": AmountField(
            _l("Amount at or above"),
            validators=[Optional(), v.NON_NEGATIVE_AMOUNT],
            widget=BS3TextFieldWidget(),
        ),
        "max_discount_percent": AmountField(
            _l("Discount above (%)"),
            validators=[Optional(), v.DISCOUNT_MIN, v.DISCOUNT_MAX],
            widget=BS3TextFieldWidget(),
        ),
    }

    def pre_add(self, item):
        """A blank currency means "every currency" (stored as NULL)."""
        item.currency = item.currency or None

    pre_update = pre_add


def _logo(item):
    if not item.logo:
        return ""
    src = url_for("LegalEntityView.logo", pk=item.id)
    return Markup(f'<img src="{src}" alt="logo" style="max-height:60px" class="entity-logo">')


def _colour(value):
    if not value:
        return ""
    return Markup(
        '<span style="display:inline-block;width:14px;height:14px;vertical-align:middle;'
        f'background:{escape(value)};border:1px solid #999"></span> '
    ) + escape(value)


class LegalEntityView(SettingsView):
    """Issuers: name, registration number (checked at save), brand, tax rounding."""

    route_base = "/legalentities"
    class_permission_name = "LegalEntity"
    datamodel = interface(LegalEntity, virtual={"logo": _logo})
    list_title = _l("Legal entities")
    show_title = add_title = edit_title = _l("Legal entity")
    label_columns = {
        **LABELS,
        "name_en": _l("Name (English)"),
        "registration_number": _l("Invoice registration number"),
        "address": _l("Address"),
        "bank_account": _l("Bank account"),
        "base_currency": _l("Base currency"),
        "tax_rounding": _l("Tax rounding"),
        "brand_colour": _l("Brand colour"),
        "logo": _l("Logo"),
        "logo_file": _l("Logo"),
        "payment_terms_days": _l("Payment terms (days)"),
        "number_prefix": _l("Number prefix"),
    }
    list_columns = [
        "name",
        "number_prefix",
        "registration_number",
        "base_currency",
        "tax_rounding",
        "brand_colour",
    ]
    _fields = [
        "name",
        "name_en",
        "number_prefix",
        "registration_number",
        "postal_code",
        "address",
        "phone",
        "email",
        "bank_account",
        "base_currency",
        "tax_rounding",
        "payment_terms_days",
        "brand_colour",
    ]
    show_columns = [*_fields, "logo"]
    add_columns = edit_columns = [*_fields, "logo_file"]
    description_columns = {
        "registration_number": _l("適格請求書発行事業者登録番号: T + 13 digits."),
        "brand_colour": _l("#rrggbb, used on the PDF."),
        "tax_rounding": _l("How consumption tax is rounded, once per rate per invoice."),
        "logo_file": _l("PNG, JPEG or GIF, at most 512 KB. Leave empty to keep the current logo."),
        "payment_terms_days": _l("Days from issue to due date when the customer has no terms."),
        "number_prefix": _l(
            "Put before this entity's document numbers (US- → US-INV-000001); each entity "
            "numbers on its own. Capital letters, digits and '-'; fixed once it has numbered "
            "a document. Blank for one entity only."
        ),
    }
    validators_columns = {"payment_terms_days": [Optional(), v.PAYMENT_TERMS]}
    formatters_columns = {
        "tax_rounding": lambda code: ROUNDING_LABELS.get(code, code),
        "brand_colour": _colour,
    }
    add_form_extra_fields = edit_form_extra_fields = {
        "base_currency": _select(_l("Base currency"), currency_choices()),
        "tax_rounding": _select(_l("Tax rounding"), list(ROUNDING_LABELS.items())),
        "logo_file": FileField(_l("Logo"), validators=[Optional()]),
        # Blank is allowed (one entity numbers without a prefix); the rules check it.
        "number_prefix": StringField(
            _l("Number prefix"), validators=[Optional()], widget=BS3TextFieldWidget()
        ),
    }

    def _take_logo(self, item):
        upload = getattr(item, "logo_file", None)
        if not upload or not getattr(upload, "filename", ""):
            return
        content = upload.read()
        if upload.mimetype not in LOGO_TYPES or len(content) > LOGO_MAX_BYTES:
            raise InvalidInput(
                str(_l("The logo must be a PNG, JPEG or GIF image of at most 512 KB.")),
                field="logo_file",
            )
        item.logo = content
        item.logo_mimetype = upload.mimetype

    def pre_add(self, item):
        """Keep an uploaded logo (the rules check the number and colour at flush)."""
        self._take_logo(item)

    pre_update = pre_add

    @expose("/logo/<int:pk>")
    @has_access
    def logo(self, pk):
        """The entity's logo image."""
        entity = self.datamodel.get(pk)
        if entity is None or not entity.logo:
            abort(404)
        return Response(entity.logo, mimetype=entity.logo_mimetype or "image/png")
