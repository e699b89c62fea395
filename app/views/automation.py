"""Settings → Automation rules: configured by those holding ``can_write`` on
AutomationRule (Admin); the ready-made Accounting profile reads them."""

from __future__ import annotations

from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import SelectField
from wtforms.validators import DataRequired

from app.models.automation import ACTIONS_OF, AutomationRule
from app.services.errors import InvalidInput
from app.views.settings import SettingsView

TRIGGER_LABELS = {"won": _l("Won"), "lost": _l("Lost")}
ACTION_LABELS = {
    "quote": _l("Create a quote"),
    "invoice": _l("Create an invoice (issued at the connection once approved)"),
    "void_unsent": _l("Void unsent invoices (here and at the provider)"),
}


def _choice(label, mapping):
    return SelectField(
        label,
        choices=[(k, v) for k, v in mapping.items()],
        validators=[DataRequired()],
    )


class AutomationRuleView(SettingsView):
    """What happens by itself when a deal of a type is won or lost."""

    route_base = "/automationrules"
    class_permission_name = "AutomationRule"
    datamodel = SQLAInterface(AutomationRule)
    include_route_methods = {"list", "show", "add", "edit", "delete"}
    list_title = _l("Automation rules")
    show_title = add_title = edit_title = _l("Automation rule")
    label_columns = {
        "name": _l("Name"),
        "deal_type": _l("Deal type"),
        "trigger": _l("When the deal is"),
        "action": _l("Then"),
        "connection": _l("Issue at connection"),
        "active": _l("Active"),
    }
    list_columns = ["name", "deal_type", "trigger", "action", "connection", "active"]
    show_columns = add_columns = edit_columns = list_columns
    description_columns = {
        "deal_type": _l("Empty: deals of every type."),
        "connection": _l("Only for invoices: where the automatic invoice is issued."),
    }
    formatters_columns = {
        "trigger": lambda v: TRIGGER_LABELS.get(v, v),
        "action": lambda v: ACTION_LABELS.get(v, v),
    }
    add_form_extra_fields = edit_form_extra_fields = {
        "trigger": _choice(_l("When the deal is"), TRIGGER_LABELS),
        "action": _choice(_l("Then"), ACTION_LABELS),
    }

    def _check(self, item):
        if item.action not in ACTIONS_OF.get(item.trigger, ()):
            raise InvalidInput(
                _("A won deal makes a quote or an invoice; a lost deal voids."), field="action"
            )
        if item.connection is not None and item.action != "invoice":
            raise InvalidInput(
                _("Only an invoice rule issues at a connection."), field="connection"
            )

    def pre_add(self, item):
        self._check(item)

    def pre_update(self, item):
        self._check(item)
