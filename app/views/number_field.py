"""A form field for money and quantities that reads numbers as people type them.

WTForms' DecimalField takes only ``13870``; finance staff type ``13,870``, ``１３８７０``,
``¥13,870`` or ``13870円``. ``AmountField`` reads them through services.money.parse_amount
(the same reader as the REST API) and refuses anything else in our own words (WTForms'
Japanese catalogue says 「無効な少数です。」, a typo for 小数, which never shows here).
"""

from __future__ import annotations

from wtforms import DecimalField

from app.services.errors import InvalidInput
from app.services.money import parse_amount


class AmountField(DecimalField):
    """A DecimalField that accepts grouping commas, full-width digits, ¥ and 円."""

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        self.raw_data = valuelist
        try:
            self.data = parse_amount(valuelist[0], self.name, str(self.label.text))
        except InvalidInput as exc:
            self.data = None
            raise ValueError(str(exc)) from None

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return super()._value()
