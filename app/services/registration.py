"""Japan's qualified-invoice issuer registration number (登録番号): T + 13 digits."""

from __future__ import annotations

import re

from flask_babel import gettext as _
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.jp import cn

from app.services.errors import InvalidInput

_SHAPE = re.compile(r"^T\d{13}$")


def normalize_registration_number(value: str | None) -> str | None:
    """Return the number as ``T`` + 13 digits, or None when blank.

    Accepts full-width characters and hyphens/spaces as people type them; raises
    InvalidInput when the shape or the check digit (as for the corporate number,
    checked by python-stdnum) is wrong.
    """
    if value is None or not str(value).strip():
        return None
    text = _to_halfwidth(str(value)).upper().replace("-", "").replace(" ", "")
    if not _SHAPE.match(text):
        raise InvalidInput(
            _("A registration number is T followed by 13 digits, e.g. T5835678256246."),
            field="invoice_registration_number",
        )
    try:
        cn.validate(text[1:])
    except StdnumError:
        raise InvalidInput(
            _("This registration number's check digit is wrong; please check the digits."),
            field="invoice_registration_number",
        ) from None
    return text


def _to_halfwidth(text: str) -> str:
    table = {ord("Ｔ"): "T", ord("ｔ"): "t", ord("－"): "-", ord("ー"): "-"}
    table.update({0xFF10 + i: str(i) for i in range(10)})
    return text.translate(table)
