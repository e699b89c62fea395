"""Document screens: one list per kind (quotes, invoices, delivery notes, credit notes),
each on its own permission resource, with lines as a related view and the document page.

They declare; the rules (totals, numbering, the edit lock, transitions) run at flush in
app.services.documents, and the routes in document_actions call its verbs.
"""

from __future__ import annotations

from flask import g, redirect, url_for
from flask_appbuilder import ModelView
from flask_appbuilder.fieldwidgets import BS3TextFieldWidget, DatePickerWidget, Select2Widget
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_babel import lazy_gettext as _l
from wtforms import DateField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Optional

from app.models.choices import TAX_RATE_LABELS, currency_choices, tax_rate_choices
from app.models.crm import Company
from app.models.document_kinds import KINDS, DocumentKind
from app.models.documents import Document, DocumentLine
from app.security.permissions import DOCUMENT_VERBS, SCREEN_VERBS
from app.services.documents import issuing, lifecycle, receivables
from app.views import validators as v
from app.views.crm import plain_number
from app.views.csv_export import CsvExportMixin, display_name
from app.views.document_actions import DocumentRoutes
from app.views.document_data import (
    FilterDocumentKind,
    KeepFormOnRuleError,
    interface,
    state_choices,
)
from app.views.document_editor import DocumentEditorRoutes
from app.views.document_labels import DOCUMENT_LABELS
from app.views.document_links import DocumentLinkRoutes
from app.views.list_filters import RemoteSelectField
from app.views.number_field import AmountField
from app.views.widgets import BlankChoiceInWords, LinkedListWidget

LANGUAGES = [("ja", "日本語"), ("en", "English")]


class EditableRowsMixin:
    """Tells the list widget which of the shown rows may still change (``editable_pks``)."""

    def _editable_ids(self, pks) -> set:
        raise NotImplementedError

    def _get_list_widget(self, **kwargs):
        widgets = super()._get_list_widget(**kwargs)
        shown = widgets["list"].template_args
        shown["editable_pks"] = self._editable_ids(shown.get("pks") or [])
        return widgets


def _select(label, choices, validators=()):
    return SelectField(label, choices=choices, widget=Select2Widget(), validators=list(validators))


def _date(label, default=None, required=False):
    return DateField(
        label,
        default=default,
        validators=[DataRequired()] if required else [Optional()],
        widget=DatePickerWidget(),
    )


class DocumentView(
    BlankChoiceInWords,
    KeepFormOnRuleError,
    EditableRowsMixin,
    DocumentEditorRoutes,
    DocumentRoutes,
    DocumentLinkRoutes,
    CsvExportMixin,
    ModelView,
):
    """What the four kinds share; a subclass names its kind and resource."""

    kind = ""
    datamodel = interface(Document)
    label_columns = DOCUMENT_LABELS
    page_size = 50
    # Sending again an email whose outcome is unknown is sending (the service checks it too).
    method_permission_name = {**SCREEN_VERBS, **DOCUMENT_VERBS, "resend_unknown": "send_email"}
    # No delete: a mistaken document is voided, so its number and trail stay.
    base_permissions = ["can_read", "can_write", "can_send_email"]
    list_widget = LinkedListWidget
    show_template = "renkei/document_show.html"
    list_template = "renkei/document_list.html"
    list_columns = ["number", "company", "display_state", "issue_date", "due_date", "total"]
    order_columns = ["number", "issue_date", "due_date", "total"]
    csv_columns = [
        "number",
        "company.name",
        "state",
        "issue_date",
        "due_date",
        "currency",
        "subtotal",
        "tax",
        "total",
        "recipient_name",
        "recipient_email",
        "created_by",
        "sent_at",
    ]
    # the state in words as the list shows it (overdue derived), the creator by name
    csv_expressions = {
        "state": lambda model, _joined: receivables.display_state_of(model),
        "balance": lambda model, _joined: receivables.balance_of(model),
        "created_by": display_name("created_by"),
    }
    csv_words = {"state": lifecycle.STATE_LABELS}
    search_columns = ["number", "state", "company", "issue_date", "due_date", "total", "currency"]
    add_columns = edit_columns = list(issuing.HEADER_FIELDS)
    show_columns = [
        "number",
        "display_state",
        "legal_entity",
        "company",
        "contact",
        "recipient_name",
        "recipient_email",
        "currency",
        "issue_date",
        "transaction_date",
        "due_date",
        "terms",
        "notes",
        "created_by_automation",  # such a document cannot be unlinked from its deal
    ]
    # A flag in words, never "True"/"False".
    formatters_columns = {"created_by_automation": lambda v: _l("Yes") if v else _l("No")}
    base_order = ("id", "desc")
    add_form_extra_fields = edit_form_extra_fields = {
        "recipient_name": StringField(
            _l("Recipient"),
            validators=[Optional()],
            description=_l("Leave blank to use the company's name."),
            widget=BS3TextFieldWidget(),
        ),
        "recipient_email": StringField(
            _l("Recipient email"),
            validators=[Optional(), Email(message=_l("Not a valid email address."))],
            widget=BS3TextFieldWidget(),
        ),
        "currency": _select(_l("Currency"), currency_choices()),
        "language": _select(_l("Language"), LANGUAGES),
        "issue_date": _date(_l("Issue date"), default=lifecycle.today_tokyo, required=True),
        "transaction_date": _date(_l("Transaction date")),
        "due_date": _date(_l("Due date")),
    }
    search_form_extra_fields = {
        "company": RemoteSelectField(_l("Company"), model=Company, endpoint="CompanyView.lookup"),
        "state": _select(_l("State"), state_choices()),
        "currency": _select(_l("Currency"), currency_choices()),
    }

    def _editable_ids(self, pks) -> set:
        if not pks:
            return set()
        rows = (
            self.datamodel.session.query(Document.id)
            .filter(Document.id.in_(pks), Document.state.in_(lifecycle.EDITABLE_STATES))
            .all()
        )
        return {row.id for row in rows}

    def pre_add(self, item):
        """The view's kind, its creator, and the default issuer when none was chosen."""
        item.kind = self.kind
        item.state = "draft"
        item.created_by = getattr(g, "user", None)
        if item.legal_entity is None:
            item.legal_entity = issuing.default_legal_entity()
        if not item.recipient_name and item.company is not None:
            item.recipient_name = item.company.name

    def post_add(self, item):
        """After saving, the document's page (not the list): note which one was made."""
        g.renkei_added_id = item.id  # per request: the view object is shared by threads

    def post_add_redirect(self):
        added = g.pop("renkei_added_id", None)
        if added is not None:
            return redirect(url_for(".show", pk=added))
        return super().post_add_redirect()


class DocumentLineView(KeepFormOnRuleError, EditableRowsMixin, ModelView):
    """A document's lines (a related view on its page); product fills price and tax.

    Only a draft's lines offer edit and delete; the document page also hides "+" once
    the document has left draft (document_actions.show passes ``editable``)."""

    kind = ""
    datamodel = interface(DocumentLine)
    list_widget = LinkedListWidget
    label_columns = DOCUMENT_LABELS
    method_permission_name = {**SCREEN_VERBS, "delete": "write"}
    base_permissions = ["can_read", "can_write"]
    list_title = _l("Lines")
    show_title = add_title = edit_title = _l("Line")
    list_columns = [
        "position",
        "name",
        "unit_price",
        "quantity",
        "unit",
        "discount_percent",
        "tax_rate",
        "amount",
    ]
    show_columns = ["document", *list_columns, "product"]
    search_columns = ["document", "product", "name", "tax_rate"]
    add_columns = edit_columns = [
        "document",
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
    formatters_columns = {
        "tax_rate": lambda code: TAX_RATE_LABELS.get(code, code),
        "quantity": plain_number,
        "discount_percent": plain_number,
    }
    validators_columns = {"quantity": [v.POSITIVE_QUANTITY]}
    add_form_extra_fields = edit_form_extra_fields = {
        # FAB's own field requires a value, and 0 (the first line) counts as none.
        "position": IntegerField(
            _l("No."),
            validators=[Optional()],
            description=_l("Leave blank to put the line last."),
            widget=BS3TextFieldWidget(),
        ),
        "name": StringField(
            _l("Name"),
            validators=[v.name_or_product],
            description=_l("Leave blank to use the product's name."),
            widget=BS3TextFieldWidget(),
        ),
        "unit_price": AmountField(
            _l("Unit price"),
            validators=[Optional(), v.NON_NEGATIVE_PRICE],
            description=_l("Leave blank to use the product's price."),
            widget=BS3TextFieldWidget(),
        ),
        "quantity": AmountField(
            _l("Quantity"),
            default=1,
            validators=[DataRequired(), v.POSITIVE_QUANTITY],
            widget=BS3TextFieldWidget(),
        ),
        "discount_percent": AmountField(
            _l("Discount (%)"),
            default=0,
            validators=[Optional(), v.DISCOUNT_MIN, v.DISCOUNT_MAX],
            widget=BS3TextFieldWidget(),
        ),
        "tax_rate": _select(
            _l("Tax rate"), [("", "")] + tax_rate_choices(), [Optional(), v.known_tax_rate]
        ),
    }

    def _editable_ids(self, pks) -> set:
        if not pks:
            return set()
        rows = (
            self.datamodel.session.query(DocumentLine.id)
            .join(Document, DocumentLine.document_id == Document.id)
            .filter(DocumentLine.id.in_(pks), Document.state.in_(lifecycle.EDITABLE_STATES))
            .all()
        )
        return {row.id for row in rows}

    def pre_add(self, item):
        """A blank price or tax rate is taken from the product at flush (complete_line)."""
        item.tax_rate = item.tax_rate or None
        if item.discount_percent is None:
            item.discount_percent = 0
        if item.position is None and item.document is not None:
            item.position = issuing.next_line_position(self.datamodel.session, item.document.id)

    pre_update = pre_add


def _kind_views(spec: DocumentKind):
    """The list screen and the lines screen of one kind, named and routed by the registry."""
    kind, resource = spec.code, spec.resource
    line_view = type(
        spec.line_view_name,
        (DocumentLineView,),
        {
            "kind": kind,
            "label_columns": dict(DOCUMENT_LABELS),
            "route_base": spec.line_route,
            "class_permission_name": resource,
            "datamodel": interface(DocumentLine),
            "base_filters": [["document", FilterDocumentKind, kind]],
            # Not limited to drafts: a sent document's lines are refused by the rule, in words.
            "add_form_query_rel_fields": {"document": [["kind", FilterEqual, kind]]},
            # Nor moved to another kind's document (services.documents.rules refuses it).
            "edit_form_query_rel_fields": {"document": [["kind", FilterEqual, kind]]},
        },
    )
    attrs = {
        "kind": kind,
        "label_columns": dict(DOCUMENT_LABELS),  # FAB adds to it: one per view
        "route_base": spec.route,
        "class_permission_name": resource,
        "datamodel": interface(Document),
        "base_filters": [["kind", FilterEqual, kind]],
        "list_title": spec.plural,
        "show_title": spec.label,
        "add_title": spec.label,
        "edit_title": spec.label,
        "related_views": [line_view],
        "extra_args": {"write_resource": resource},  # the list's "New (one page)" button
    }
    attrs["csv_name"] = spec.plural
    if spec.payments:
        attrs["list_columns"] = [*DocumentView.list_columns, "balance"]
        columns = DocumentView.csv_columns
        at = columns.index("total") + 1
        attrs["csv_columns"] = [*columns[:at], "balance", *columns[at:]]
    return type(spec.view_name, (DocumentView,), attrs), line_view


# kind → (list view, line view, menu name in permissions.MENUS), one per registry entry.
KIND_VIEWS = {code: (*_kind_views(spec), spec.menu) for code, spec in KINDS.items()}
