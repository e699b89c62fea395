"""JSON on the wire with Decimal money: numbers in and out without passing through float.

``json.dumps`` cannot write a Decimal as a bare number, and turning it into a float
would lose the exactness we keep everywhere else. So Decimals are first written as
unique placeholder strings, which are then swapped for their plain digits.
"""

from __future__ import annotations

import json
import re
import secrets
from decimal import Decimal
from typing import Any


def _plain(value: Decimal) -> str:
    if not value.is_finite():
        raise ValueError("cannot send a non-finite Decimal")
    text = format(value, "f")
    return "0" if text == "-0" else text


def dumps(payload: Any) -> str:
    """Serialise ``payload`` to compact UTF-8 JSON; Decimals become exact JSON numbers."""
    nonce = secrets.token_hex(6)
    marker = f"@dec{nonce}@"

    def encode(obj):
        if isinstance(obj, Decimal):
            return f"{marker}{_plain(obj)}"
        raise TypeError(f"{type(obj).__name__} is not JSON serialisable")

    text = json.dumps(payload, default=encode, ensure_ascii=False, separators=(",", ":"))
    return re.sub(rf'"{re.escape(marker)}(-?[0-9.]+)"', r"\1", text)


def loads(text: str | bytes) -> Any:
    """Parse JSON, reading non-integer numbers as Decimal (never float)."""
    return json.loads(text, parse_float=Decimal)
