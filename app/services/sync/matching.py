"""Finding the same customer or product on the other side.

Order (issue 16): the provider id we hold (a link), then our code, then the
registration number or email, then the normalised name. A match on the id or on our
code is the *same* record (we wrote that code there, perhaps in a run that was killed
before it saved the link): it is adopted. A match on the registration number, email or
name is a *duplicate*: the connection's choice (skip or overwrite) applies.

Names are compared after NFKC (全角/半角 alike), with 株式会社/有限会社/合同会社 and their
short forms ((株), ㈱, (有) …) removed, spaces and middle dots dropped, lower case.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

# After NFKC ㈱ is "(株)" and （株） is "(株)".
_FORMS = ("株式会社", "有限会社", "合同会社", "合資会社", "合名会社", "(株)", "(有)", "(同)")
_SPACES = re.compile(r"[\s・･.,、。]+")


def normalise_name(name: str | None) -> str:
    """The name as compared: 全角/半角, company forms and spaces do not count."""
    text = unicodedata.normalize("NFKC", name or "")
    for form in _FORMS:
        text = text.replace(form, "")
    return _SPACES.sub("", text).casefold()


def _norm(value: str | None) -> str | None:
    text = unicodedata.normalize("NFKC", value or "").strip().casefold()
    return text or None


@dataclass(frozen=True)
class Match:
    """What was found and on which key ("code", "registration_number", "email", "name")."""

    record: object
    key: str

    @property
    def same(self) -> bool:
        """Our own record (adopt) rather than a duplicate (skip/overwrite applies)."""
        return self.key == "code"


class Index:
    """Records of one side by code, registration number, email and normalised name."""

    KEYS = ("code", "registration_number", "email", "name")

    def __init__(self, records: Iterable = (), read=None):
        self.read = read or (lambda record, key: getattr(record, key, None))
        self.by: dict[str, dict[str, list]] = {key: {} for key in self.KEYS}
        for record in records:
            self.add(record)

    def _value(self, record, key: str) -> str | None:
        value = self.read(record, key)
        return normalise_name(value) or None if key == "name" else _norm(value)

    def add(self, record) -> None:
        for key in self.KEYS:
            value = self._value(record, key)
            if value:
                self.by[key].setdefault(value, []).append(record)

    def find(self, code=None, registration_number=None, email=None, name=None) -> list[Match]:
        """Every record matching, on the first key that matches anything."""
        wanted = {
            "code": _norm(code),
            "registration_number": _norm(registration_number),
            "email": _norm(email),
            "name": normalise_name(name) or None,
        }
        for key in self.KEYS:
            value = wanted[key]
            if value and self.by[key].get(value):
                return [Match(record, key) for record in self.by[key][value]]
        return []
