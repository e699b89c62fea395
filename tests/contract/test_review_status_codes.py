"""Review: Money Forward's 入金ステータス in every form its spec documents.

The v3 spec's Billing.payment_status describes five codes with their labels
(`0` 未設定, `1` 未入金, `2` 入金済み, `3` 未払い, `4` 振込済み) and enumerates the labels.
Every label was read, but of the codes only 0 to 2: a billing answering "3" or "4"
failed the pull as an unknown form although the spec names it."""

from __future__ import annotations

import pytest
import yaml

from app.providers.errors import ProviderDataError
from app.providers.moneyforward import mapping
from app.providers.wire_values import parse_flag
from app.sandbox.specs import SPEC_DIR


def _documented_codes() -> dict[str, str]:
    spec = yaml.safe_load((SPEC_DIR / "moneyforward-invoice-v3.yaml").read_text())
    text = spec["components"]["schemas"]["Billing"]["properties"]["payment_status"]["description"]
    codes = {}
    for row in text.splitlines():
        row = row.strip()
        if row.startswith("* `"):
            code, label = row[3:].split("`", 1)
            codes[code] = label.strip(" -")
    return codes


def test_the_spec_documents_five_codes():
    assert _documented_codes() == {
        "0": "未設定",
        "1": "未入金",
        "2": "入金済み",
        "3": "未払い",
        "4": "振込済み",
    }


@pytest.mark.parametrize("code,label", sorted(_documented_codes().items()))
def test_every_documented_code_reads_as_its_label(code, label):
    assert mapping.billing_status({"payment_status": code}) == mapping.billing_status(
        {"payment_status": label}
    )


def test_an_undocumented_code_still_fails_in_words():
    with pytest.raises(ProviderDataError) as refused:
        mapping.billing_status({"payment_status": "5"})
    assert "payment_status" in str(refused.value) and "5" in str(refused.value)


@pytest.mark.parametrize(
    ("written", "read"),
    [(True, True), (False, False), ("true", True), ("false", False), ("0", False), (None, False)],
)
def test_yes_no_in_any_written_form(written, read):
    assert parse_flag(written, "page_context.has_more_page", "zoho") is read


def test_an_unreadable_yes_no_fails_in_words():
    with pytest.raises(ProviderDataError, match="has_more_page"):
        parse_flag("maybe", "page_context.has_more_page", "zoho")
