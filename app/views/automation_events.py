"""The deal page's list of what stage automation did: whoever reads the deal reads it;
Retry of a failed action needs write on the deal."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_appbuilder import ModelView, expose, has_access
from flask_appbuilder.actions import action
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models.automation import AutomationEvent
from app.services import automation
from app.services.actor import request_user
from app.views.refusals import back_to, flashed

OUTCOME_LABELS = {
    "created": _l("Created"),
    "issued": _l("Issued"),
    "waiting": _l("Waiting for approval"),
    "existing": _l("Already made"),
    "voided": _l("Voided"),
    "left": _l("Left as it is"),
    "refused": _l("Refused"),
    "failed": _l("Failed"),
}


class AutomationEventView(ModelView):
    """A deal's automation record: what each rule did, refused or failed to do."""

    route_base = "/automationevents"
    class_permission_name = "Deal"
    # Retry: a POST of one event, or the list's action on the selected ones (deal write).
    method_permission_name = {
        "list": "read",
        "show": "read",
        "retry": "write",
        "retry_selected": "write",
        "action_post": "write",
    }
    base_permissions = ["can_read", "can_write"]
    include_route_methods = {"list", "show", "retry", "action_post"}
    datamodel = SQLAInterface(AutomationEvent)
    list_title = _l("Automation")
    show_title = _l("Automatic action")
    base_order = ("id", "desc")
    label_columns = {
        "at": _l("At"),
        "rule_name": _l("Rule"),
        "stage": _l("Stage"),
        "outcome": _l("Outcome"),
        "document": _l("Document"),
        "on_behalf_of": _l("On behalf of"),
        "note": _l("Note"),
        "deal": _l("Deal"),
    }
    list_columns = ["at", "rule_name", "stage", "outcome", "document", "on_behalf_of", "note"]
    show_columns = ["deal", *list_columns, "retried_at"]
    formatters_columns = {"outcome": lambda v: OUTCOME_LABELS.get(v, v)}

    @action(
        "retry_selected",
        _l("Retry"),
        _l("Apply the rule again for the selected failed actions?"),
        "fa-redo",
        multiple=True,
        single=False,
    )
    def retry_selected(self, items):
        """The list's Retry (on the deal page): each failed action again, refused one by one."""
        items = items if isinstance(items, list) else [items]
        user = request_user()
        for item in items:
            if item is None:
                continue
            with flashed(f"{item.rule_name}: ") as refusal:
                outcome = automation.retry(item.id, user)
            if refusal.message is None:
                flash(f"{item.rule_name}: {OUTCOME_LABELS.get(outcome, outcome)}", "info")
        return redirect(request.referrer or url_for(".list"))

    @expose("/retry/<int:pk>", methods=["POST"])
    @has_access
    def retry(self, pk):
        """Apply a failed event's rule again (once still means once)."""
        event = db.session.get(AutomationEvent, pk)
        target = url_for("DealView.show", pk=event.deal_id) if event else url_for(".list")
        back_to(target)
        outcome = automation.retry(pk, request_user())
        flash(OUTCOME_LABELS.get(outcome, outcome), "info")
        return redirect(request.referrer or target)
