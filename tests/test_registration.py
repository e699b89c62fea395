"""Qualified-invoice registration numbers: T + 13 digits with a valid check digit."""

import pytest

from app.services.errors import InvalidInput
from app.services.registration import normalize_registration_number


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("T5835678256246", "T5835678256246"),
        ("t5-8356-7825-6246", "T5835678256246"),
        ("Ｔ５８３５６７８２５６２４６", "T5835678256246"),
        ("", None),
        (None, None),
    ],
)
def test_accepted_forms(typed, stored):
    assert normalize_registration_number(typed) == stored


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("T2835678256246", "check digit"),
        ("5835678256246", "T followed by 13"),
        ("T583567825624", "T followed by 13"),
        ("TABCDEFGHIJKLM", "T followed by 13"),
    ],
)
def test_refused_forms(typed, message):
    with pytest.raises(InvalidInput, match=message):
        normalize_registration_number(typed)
