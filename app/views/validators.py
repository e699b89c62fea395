"""WTForms validators that speak the business rules, so a form keeps what was typed."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from wtforms.validators import ValidationError

from app.models.choices import TAX_RATES
from app.services.errors import InvalidInput
from app.services.registration import normalize_registration_number


class AtLeast:
    """The number is ≥ ``minimum`` (or > when ``strict``); blank passes."""

    def __init__(self, minimum, message, strict: bool = False):
        self.minimum = Decimal(minimum)
        self.message = message
        self.strict = strict

    def __call__(self, form, field):
        if field.data is None:
            return
        value = Decimal(field.data)
        if value < self.minimum or (self.strict and value == self.minimum):
            raise ValidationError(str(self.message))


class AtMost:
    """The number is ≤ ``maximum``; blank passes."""

    def __init__(self, maximum, message):
        self.maximum = Decimal(maximum)
        self.message = message

    def __call__(self, form, field):
        if field.data is not None and Decimal(field.data) > self.maximum:
            raise ValidationError(str(self.message))


def known_tax_rate(form, field):
    """Refuse a tax rate that is not 10 %, 8 % reduced or exempt."""
    if field.data and field.data not in TAX_RATES:
        # FAB's form template passes errors through gettext's %-formatting: hence %%.
        raise ValidationError(str(_l("Unknown tax rate: use 10%%, 8%% (reduced) or exempt.")))


def registration_number(form, field):
    """Check a T + 13 digit registration number and store it normalised."""
    try:
        field.data = normalize_registration_number(field.data)
    except InvalidInput as exc:
        raise ValidationError(str(exc)) from None


def name_or_product(form, field):
    """A line needs an item name unless a product is chosen."""
    product = getattr(form, "product", None)
    if not field.data and (product is None or product.data is None):
        raise ValidationError(str(_l("Choose a product or type an item name.")))


NON_NEGATIVE_PRICE = AtLeast(0, _l("The unit price cannot be negative."))
NON_NEGATIVE_AMOUNT = AtLeast(0, _l("The amount cannot be negative."))
POSITIVE_QUANTITY = AtLeast(0, _l("The quantity must be greater than zero."), strict=True)
DISCOUNT_MIN = AtLeast(0, _l("The discount is a percentage from 0 to 100."))
DISCOUNT_MAX = AtMost(100, _l("The discount is a percentage from 0 to 100."))
PROBABILITY_MIN = AtLeast(0, _l("Probability is a percentage from 0 to 100."))
PROBABILITY_MAX = AtMost(100, _l("Probability is a percentage from 0 to 100."))


def PAYMENT_TERMS(form, field):
    """Payment terms are whole days from 0 to 365; blank passes."""
    if field.data is not None and not 0 <= int(field.data) <= 365:
        raise ValidationError(str(_l("Payment terms are 0 to 365 days.")))
