"""Settings → Reminder rules: the default set (no company) and per-company overrides.
Configured with ``can_write`` on ReminderRule (Admin, Accounting)."""

from __future__ import annotations

from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from wtforms import SelectField
from wtforms.validators import DataRequired

from app.models.reminders import ReminderRule
from app.services.reminders.rules import (
    PAYMENT_STATE_LABELS,
    check_rule,
    describe_step,
    rule_label,
)
from app.views.settings import SettingsView


class ReminderRuleInterface(SQLAInterface):
    """The list and show pages read a rule's name as ``rule_label`` does (the preview's
    words): a default rule still named as shipped reads in the reader's language; a name
    someone chose stays as written. The edit form keeps the stored name."""

    def _get_attr_value(self, item, col):
        if col == "name" and isinstance(item, ReminderRule):
            return rule_label(item.days, item.name)
        return SQLAInterface._get_attr_value(item, col)


class ReminderRuleView(SettingsView):
    """When a payment reminder goes out, relative to the due date."""

    route_base = "/reminderrules"
    class_permission_name = "ReminderRule"
    datamodel = ReminderRuleInterface(ReminderRule)
    include_route_methods = {"list", "show", "add", "edit", "delete"}
    list_title = _l("Reminder rules")
    show_title = add_title = edit_title = _l("Reminder rule")
    label_columns = {
        "name": _l("Name"),
        "company": _l("Company"),
        "days": _l("Days after the due date"),
        "payment_state": _l("While the invoice is"),
        "active": _l("Active"),
    }
    list_columns = ["name", "company", "days", "payment_state", "active"]
    show_columns = add_columns = edit_columns = list_columns
    base_order = ("days", "asc")
    description_columns = {
        "company": _l(
            "Empty: part of the default set. A company with rules of its own uses only those."
        ),
        "days": _l("Negative: before the due date (-3), 0: on the day, 7: a week overdue."),
    }
    formatters_columns = {
        "payment_state": lambda v: PAYMENT_STATE_LABELS.get(v, v),
        "days": lambda v: f"{v:+d} ({describe_step(v)})" if v is not None else "",
        "company": lambda c: c if c is not None else _l("Default set (every customer)"),
        "active": lambda v: _l("Yes") if v else _l("No"),
    }
    add_form_extra_fields = edit_form_extra_fields = {
        "payment_state": SelectField(
            _l("While the invoice is"),
            choices=list(PAYMENT_STATE_LABELS.items()),
            validators=[DataRequired()],
        ),
    }

    def pre_add(self, item):
        check_rule(item)

    pre_update = pre_add
