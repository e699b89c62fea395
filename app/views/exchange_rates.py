"""Settings → Exchange rates: finance staff enter one rate per currency pair and date.

Reading is for those who read documents' figures (Accounting); entering them is for
finance (Accounting) and administrators. A document takes the latest rate on or before
its issue date when it leaves draft (app/services/exchange_rates.py).
"""

from __future__ import annotations

from flask_appbuilder.fieldwidgets import BS3TextFieldWidget
from flask_babel import lazy_gettext as _l
from wtforms.validators import DataRequired

from app.models.choices import currency_choices
from app.models.exchange_rates import ExchangeRate
from app.services.actor import request_user
from app.services.exchange_rates import format_rate
from app.views.document_data import interface
from app.views.documents import _select
from app.views.labels import LABELS
from app.views.number_field import AmountField
from app.views.settings import SettingsView


class ExchangeRateView(SettingsView):
    """Rates per currency pair and date (1 unit of From = rate units of To)."""

    route_base = "/exchangerates"
    class_permission_name = "ExchangeRate"
    datamodel = interface(ExchangeRate)
    list_title = _l("Exchange rates")
    show_title = add_title = edit_title = _l("Exchange rate")
    label_columns = {
        **LABELS,
        "from_currency": _l("From"),
        "to_currency": _l("To"),
        "valid_on": _l("Valid from"),
        "rate": _l("Rate"),
        "entered_by": _l("Entered by"),
        "created_at": _l("Entered at"),
    }
    list_columns = ["valid_on", "from_currency", "to_currency", "rate", "entered_by"]
    show_columns = [*list_columns, "created_at"]
    add_columns = edit_columns = ["from_currency", "to_currency", "valid_on", "rate"]
    base_order = ("valid_on", "desc")
    search_columns = ["from_currency", "to_currency", "valid_on"]
    description_columns = {
        "rate": _l("How many units of the “To” currency one unit of “From” is worth."),
        "valid_on": _l(
            "Documents dated on or after this day take this rate (until a later one) "
            "when they leave draft; documents already issued keep theirs."
        ),
    }
    formatters_columns = {"rate": lambda value: format_rate(value) if value is not None else ""}
    add_form_extra_fields = edit_form_extra_fields = {
        "from_currency": _select(_l("From"), currency_choices()),
        "to_currency": _select(_l("To"), currency_choices()),
        "rate": AmountField(_l("Rate"), validators=[DataRequired()], widget=BS3TextFieldWidget()),
    }

    def pre_add(self, item):
        """Who entered the rate (the rules check pair, rate and date at flush)."""
        user = request_user()
        item.entered_by_id = getattr(user, "id", None)

    pre_update = pre_add
