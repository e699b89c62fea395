"""The four kinds of document, in one registry: what each is called, where it lives.

One entry per kind holds everything that used to be copied by hand across models,
services, security, views and the REST API: the stored code, the permission resource,
the number prefix, the labels (screen and customer email), the screen and API routes,
and what applies to it (payments and a due date for invoices only; a credit note's
total is negative). Everyone looks a kind up here; nothing else lists the kinds.

This module is plain data: it imports nothing from the app, so models, services,
security, views and the API may all import it without an import circle.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class DocumentKind:
    """One kind of document and the names it goes by everywhere."""

    code: str  # stored in documents.kind
    resource: str  # FAB permission resource (view and API class_permission_name)
    number_prefix: str  # documents are numbered "<prefix>000001"
    label: object  # singular, lazy gettext
    plural: object  # plural, lazy gettext (screen titles, menu, profile editor)
    menu: str  # menu item name, as granted in security.permissions.MENUS
    route: str  # the list screen's route_base
    line_route: str  # the lines screen's route_base
    api_name: str  # REST resource_name (/api/v1/<api_name>/); lines at <api_name>_line
    icon: str  # Font Awesome icon in the menu
    titles: dict  # the kind's name in the customer's language (email subject, PDF)
    payments: bool = False  # payments, payment states and a balance apply
    due_date: bool = False  # the document carries a due date
    negative: bool = False  # its total may be negative (it gives money back)

    @property
    def view_name(self) -> str:
        """The list screen's class name, which is also its url_for endpoint prefix."""
        return f"{self.resource}View"

    @property
    def line_view_name(self) -> str:
        return f"{self.resource}LineView"

    @property
    def line_api_name(self) -> str:
        return f"{self.api_name}_line"

    def number(self, sequence: int) -> str:
        """The document number for the ``sequence``-th document of this kind."""
        return f"{self.number_prefix}{sequence:06d}"


KINDS: dict[str, DocumentKind] = {
    kind.code: kind
    for kind in (
        DocumentKind(
            code="quote",
            resource="Quote",
            number_prefix="QT-",
            label=_l("Quote"),
            plural=_l("Quotes"),
            menu="Quotes",
            route="/quotes",
            line_route="/quotelines",
            api_name="quote",
            icon="fa-file-signature",
            titles={"ja": "見積書", "en": "Quotation"},
        ),
        DocumentKind(
            code="invoice",
            resource="Invoice",
            number_prefix="INV-",
            label=_l("Invoice"),
            plural=_l("Invoices"),
            menu="Invoices",
            route="/invoices",
            line_route="/invoicelines",
            api_name="invoice",
            icon="fa-file-invoice",
            titles={"ja": "請求書", "en": "Invoice"},
            payments=True,
            due_date=True,
        ),
        DocumentKind(
            code="delivery_note",
            resource="DeliveryNote",
            number_prefix="DN-",
            label=_l("Delivery note"),
            plural=_l("Delivery notes"),
            menu="Delivery notes",
            route="/deliverynotes",
            line_route="/deliverynotelines",
            api_name="delivery_note",
            icon="fa-truck",
            titles={"ja": "納品書", "en": "Delivery note"},
        ),
        DocumentKind(
            code="credit_note",
            resource="CreditNote",
            number_prefix="CN-",
            label=_l("Credit note"),
            plural=_l("Credit notes"),
            menu="Credit notes",
            route="/creditnotes",
            line_route="/creditnotelines",
            api_name="credit_note",
            icon="fa-file-invoice-dollar",
            titles={"ja": "適格返還請求書", "en": "Credit note"},
            negative=True,
        ),
    )
}
# The stored codes, in menu order (the CHECK constraint on documents.kind lists these).
DOCUMENT_KINDS: tuple[str, ...] = tuple(KINDS)
# The permission resources, one per kind, in the same order.
DOCUMENT_RESOURCES: tuple[str, ...] = tuple(k.resource for k in KINDS.values())


def kind_of(code: str) -> DocumentKind:
    """The registry entry for a stored kind code (KeyError for an unknown one)."""
    return KINDS[code]


def resource_of(code: str) -> str:
    """The permission resource of a kind: what can_read/can_write are checked on."""
    return KINDS[code].resource


def label_of(code: str):
    """The kind's singular label (lazy), or the code itself when unknown."""
    kind = KINDS.get(code)
    return kind.label if kind is not None else code
