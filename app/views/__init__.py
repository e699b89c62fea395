"""Console screens; ``register_views`` adds them to the menu."""

from flask import current_app
from flask_babel import lazy_gettext as _l

from app.views.automation_events import AutomationEventView
from app.views.billing_gated_menu import register_milestone_and_time_views
from app.views.connections import ConnectionView
from app.views.crm import (
    CompanyView,
    ContactView,
    DealLineView,
    DealTypeView,
    DealView,
    ProductView,
)
from app.views.customer_sync import CustomerSyncView
from app.views.documents_menu import register_document_views
from app.views.list_arguments import refuse_bad_list_arguments
from app.views.mismatches import MismatchView
from app.views.orders import register_order_views
from app.views.outbox import OutboxView
from app.views.profiles import ProfilesView
from app.views.subscriptions import register_subscription_views
from app.views.sync import SyncRunView


def register_views(appbuilder) -> None:
    """Add every screen to ``appbuilder`` with its menu entry."""
    current_app.before_request(refuse_bad_list_arguments)
    crm = "CRM"
    label = _l("CRM")
    appbuilder.add_view(
        DealView,
        "Deals",
        label=_l("Deals"),
        icon="fa-handshake",
        category=crm,
        category_label=label,
        category_icon="fa-briefcase",
    )
    appbuilder.add_view(
        CompanyView, "Companies", label=_l("Companies"), icon="fa-building", category=crm
    )
    appbuilder.add_view(ContactView, "Contacts", label=_l("Contacts"), icon="fa-user", category=crm)
    appbuilder.add_view(ProductView, "Products", label=_l("Products"), icon="fa-box", category=crm)
    appbuilder.add_view(
        DealTypeView, "Deal types", label=_l("Deal types"), icon="fa-tags", category=crm
    )
    appbuilder.add_view_no_menu(DealLineView)
    appbuilder.add_view_no_menu(AutomationEventView)
    appbuilder.add_view(
        ProfilesView, "Profiles", label=_l("Profiles"), icon="fa-id-badge", category="Security"
    )
    appbuilder.add_view(
        ConnectionView,
        "Connections",
        label=_l("Connections"),
        icon="fa-plug",
        category="Integrations",
        category_label=_l("Integrations"),
        category_icon="fa-link",
    )
    appbuilder.add_view(
        SyncRunView,
        "Sync history",
        label=_l("Sync history"),
        icon="fa-history",
        category="Integrations",
    )
    appbuilder.add_view(
        CustomerSyncView,
        "Customer sync",
        label=_l("Customer sync"),
        icon="fa-exchange-alt",
        category="Integrations",
    )
    appbuilder.add_view(
        MismatchView,
        "Mismatches",
        label=_l("Mismatches"),
        icon="fa-not-equal",
        category="Integrations",
    )
    register_document_views(appbuilder)
    register_order_views(appbuilder)
    register_subscription_views(appbuilder)
    appbuilder.add_view(
        OutboxView, "Sent emails", label=_l("Sent emails"), icon="fa-envelope", category="Documents"
    )
    register_milestone_and_time_views(appbuilder)
