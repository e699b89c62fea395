"""The document screens in the menu: Documents (lists, approvals, receivables, audit
trail) and Settings (approval rules, legal entities, templates). Menu names are the
ones app.security.permissions.MENUS grants."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.models.document_kinds import KINDS
from app.views.approvals import ApprovalQueueView
from app.views.audit import AuditTrailView
from app.views.automation import AutomationRuleView
from app.views.documents import KIND_VIEWS
from app.views.exchange_rates import ExchangeRateView
from app.views.followups import FollowUpView
from app.views.receivables import ReceivablesView
from app.views.reminder_rules import ReminderRuleView
from app.views.reminders import RemindersView
from app.views.settings import ApprovalRuleView, LegalEntityView
from app.views.templates import DocumentTemplateView


def register_document_views(appbuilder) -> None:
    """Add the document and settings screens with their menu entries."""
    first = True
    for kind, (view, line_view, name) in KIND_VIEWS.items():
        extra = {}
        if first:
            extra = {"category_label": _l("Documents"), "category_icon": "fa-file-alt"}
            first = False
        appbuilder.add_view(
            view,
            name,
            label=KINDS[kind].plural,
            icon=KINDS[kind].icon,
            category="Documents",
            **extra,
        )
        appbuilder.add_view_no_menu(line_view)
    appbuilder.add_view(
        ApprovalQueueView,
        "Approvals",
        label=_l("Approvals"),
        icon="fa-stamp",
        category="Documents",
    )
    appbuilder.add_view(
        ReceivablesView,
        "Receivables",
        label=_l("Receivables"),
        icon="fa-coins",
        category="Documents",
    )
    appbuilder.add_view(
        RemindersView, "Reminders", label=_l("Reminders"), icon="fa-bell", category="Documents"
    )
    appbuilder.add_view(
        FollowUpView,
        "Follow-ups",
        label=_l("Follow-ups"),
        icon="fa-phone",
        category="Documents",
    )
    appbuilder.add_view(
        AuditTrailView,
        "Audit trail",
        label=_l("Audit trail"),
        icon="fa-clipboard-list",
        category="Documents",
    )
    appbuilder.add_view(
        ApprovalRuleView,
        "Approval rules",
        label=_l("Approval rules"),
        icon="fa-balance-scale",
        category="Settings",
        category_label=_l("Settings"),
        category_icon="fa-cog",
    )
    appbuilder.add_view(
        AutomationRuleView,
        "Automation rules",
        label=_l("Automation rules"),
        icon="fa-robot",
        category="Settings",
    )
    appbuilder.add_view(
        ReminderRuleView,
        "Reminder rules",
        label=_l("Reminder rules"),
        icon="fa-bell",
        category="Settings",
    )
    appbuilder.add_view(
        LegalEntityView,
        "Legal entities",
        label=_l("Legal entities"),
        icon="fa-landmark",
        category="Settings",
    )
    appbuilder.add_view(
        ExchangeRateView,
        "Exchange rates",
        label=_l("Exchange rates"),
        icon="fa-exchange-alt",
        category="Settings",
    )
    appbuilder.add_view(
        DocumentTemplateView,
        "Templates",
        label=_l("Templates"),
        icon="fa-file-code",
        category="Settings",
    )
