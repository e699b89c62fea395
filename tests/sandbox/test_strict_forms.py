"""Strict by default: the sandboxes answer in the providers' own written forms.

Money Forward's v3 examples write dates as 2022/12/09 and times as
'2023-03-20 14:56:10 +0900' (its schema says only ``format: date``); the sandbox does
the same and checks every answer against the forms its provider's examples use.
"""

from __future__ import annotations

import re

from app.sandbox.example_forms import example_forms, form_mismatches

from .conftest import ok
from .test_moneyforward import department, new_billing  # noqa: F401 - fixture

SLASH_DATE = re.compile(r"^\d{4}/\d{2}/\d{2}$")
MF_TIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} \+0900$")


def test_money_forward_answers_as_its_examples_write(sandbox, mf, department):  # noqa: F811
    assert ok(sandbox.control("moneyforward", "GET", "settings"))["settings"]["forms"] == "strict"
    billing = new_billing(
        mf,
        department,
        items=[
            {
                "name": "作業",
                "price": 1000,
                "quantity": 1,
                "excise": "ten_percent",
                "delivery_date": "2024/05/09",
            }
        ],
    )
    for key in ("billing_date", "due_date"):
        assert SLASH_DATE.match(billing[key]), billing[key]
    assert billing["billing_date"] == "2024/05/10"  # sent as ISO, answered as Money Forward does
    assert billing["items"][0]["delivery_date"] == "2024/05/09"  # its request example's form
    assert MF_TIME.match(billing["created_at"]) and MF_TIME.match(billing["updated_at"])
    listed = ok(mf.get("/billings"))["data"][0]
    assert listed["billing_date"] == "2024/05/10"
    partner = ok(mf.get("/partners"))["data"][0]
    assert MF_TIME.match(partner["created_at"])
    assert form_mismatches("moneyforward", billing) == []


def test_lenient_mode_is_the_old_iso_habit_and_not_the_default(sandbox, mf, department):  # noqa: F811
    ok(sandbox.control("moneyforward", "POST", "settings", json={"forms": "lenient"}))
    billing = new_billing(mf, department)
    assert billing["billing_date"] == "2024-05-10"
    problems = form_mismatches("moneyforward", billing)
    assert any("billing_date '2024-05-10'" in p for p in problems)
    ok(sandbox.control("moneyforward", "POST", "reset"))
    assert ok(sandbox.control("moneyforward", "GET", "settings"))["settings"]["forms"] == "strict"


def test_the_forms_come_from_the_providers_own_examples():
    mf = example_forms("moneyforward")
    assert mf["billing_date"] == {"9999/99/99"}
    assert mf["created_at"] == {"9999-99-99 99:99:99 ±9999"}
    zoho = example_forms("zoho")  # Zoho's documented example answers (cited in the file)
    assert zoho["date"] == {"9999-99-99"}
    assert zoho["last_modified_time"] == {"9999-99-99T99:99:99±9999"}


def test_zoho_answers_pass_its_documented_forms(sandbox, zoho):
    contact = ok(zoho.post("/contacts", json={"contact_name": "Acme"}), 201)["contact"]
    taxes = ok(zoho.get("/settings/taxes"))["taxes"]
    line = {"name": "作業", "rate": 1000, "quantity": 1, "tax_id": taxes[0]["tax_id"]}
    invoice = ok(
        zoho.post("/invoices", json={"customer_id": contact["contact_id"], "line_items": [line]}),
        201,
    )["invoice"]
    assert form_mismatches("zoho", invoice) == []
    assert re.match(
        r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{4}$", invoice["last_modified_time"]
    )
