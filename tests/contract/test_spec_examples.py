"""Every answer the providers publish, read by our parsing: the specs' own examples.

Money Forward: every response example of shared/specs/moneyforward-invoice-v3.yaml
(and every ``example`` on its response schemas) goes through the mapping that reads
that kind of object. freee: its spec has no examples, so instances built from its
invoice response schemas (every enum value, dates in its pattern) stand in. Zoho: no
spec file; its documented example answers (app/sandbox/specs/zoho-invoice-v3-examples
.json, which cites the pages they come from) go through the Zoho mapping.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from app.providers import jsonwire
from app.providers.errors import ProviderDataError
from app.providers.freee import mapping as freee
from app.providers.moneyforward import mapping as mf
from app.providers.wire_values import parse_amount, parse_date, parse_datetime
from app.providers.zoho import mapping as zoho
from app.providers.zoho.client import parse_zoho_time
from app.sandbox.example_forms import response_examples, schema_examples, zoho_examples
from app.sandbox.specs import load_spec
from app.sandbox.validation import BodyChecker

from .schema_instances import instances

JST = timezone(timedelta(hours=9))


def on_the_wire(value):
    """An example as a client receives it: JSON text read by our reader (Decimals)."""
    text = json.dumps(value, default=lambda v: v.isoformat(), ensure_ascii=False)
    return jsonwire.loads(text)


def mf_objects(example) -> list[dict]:
    """The objects an example answer carries (list envelopes opened)."""
    if isinstance(example, dict) and isinstance(example.get("data"), list):
        return list(example["data"])
    return [example]


def read_mf(obj: dict) -> str:
    """Feed one Money Forward object to the mapping that reads its kind; its kind."""
    if "billing_date" in obj:
        fields = mf.remote_fields(obj)
        assert isinstance(fields["issue_date"], date) and isinstance(fields["total"], Decimal)
        for item in obj.get("items") or []:
            read_mf_item(item)
        return "billing"
    if "quote_date" in obj:
        fields = mf.quote_fields(obj)
        assert isinstance(fields["issue_date"], date) and isinstance(fields["total"], Decimal)
        for item in obj.get("items") or []:
            read_mf_item(item)
        return "quote"
    if "departments" in obj:
        mf.partner_ids(obj)
        for department in obj["departments"]:
            parse_datetime(department.get("created_at"), "created_at", "moneyforward")
        stamp = parse_datetime(obj["created_at"], "created_at", "moneyforward")
        assert stamp.tzinfo is not None
        return "partner"
    if "price" in obj:
        read_mf_item(obj)
        return "item"
    if "sent_at" in obj:
        assert parse_datetime(obj["sent_at"], "sent_at", "moneyforward").tzinfo is not None
        return "sent history"
    if set(obj) == {"registration_code"}:
        assert obj["registration_code"].startswith("T")
        return "registration code"
    # office, department: time stamps only
    assert parse_datetime(obj["created_at"], "created_at", "moneyforward").tzinfo is not None
    return "other"


def read_mf_item(item: dict) -> None:
    parse_amount(item.get("price"), "price", "moneyforward")
    parse_amount(item.get("quantity"), "quantity", "moneyforward")
    parse_date(item.get("delivery_date"), "delivery_date", "moneyforward")
    parse_datetime(item.get("created_at"), "created_at", "moneyforward")


MF_EXAMPLES = list(response_examples(load_spec("moneyforward")))


def test_the_money_forward_spec_has_the_examples_we_walk():
    assert len(MF_EXAMPLES) >= 20  # 27 when written; a moved file would read as none
    kinds = {read_mf(o) for _w, ex in MF_EXAMPLES for o in mf_objects(on_the_wire(ex))}
    assert {"billing", "quote", "partner", "item", "sent history", "other"} <= kinds


@pytest.mark.parametrize("where,example", MF_EXAMPLES, ids=[w for w, _e in MF_EXAMPLES])
def test_every_money_forward_response_example_is_read(where, example):
    for obj in mf_objects(on_the_wire(example)):
        read_mf(obj)


def test_money_forward_billing_example_reads_as_written():
    """NewBillingWithoutDeductPrice: billing_date 2022/12/09, total '100.0', 未設定."""
    example = load_spec("moneyforward")["components"]["examples"]["NewBillingWithoutDeductPrice"]
    fields = mf.remote_fields(on_the_wire(example["value"]))
    assert fields["external_id"] == "4k1zMaonOMw9FKd5xWNqJK"
    assert fields["issue_date"] == date(2022, 12, 9)
    assert fields["due_date"] == date(2022, 12, 10)
    assert fields["total"] == Decimal("100.0")
    assert (fields["payment_status"], fields["status"]) == ("未設定", "draft")
    # No tag of ours in its memo; a billing reports no amount paid nor a payment date.
    assert (fields["reference"], fields["paid_amount"], fields["paid_on"]) == (None, None, None)
    tagged = mf.remote_fields({**on_the_wire(example["value"]), "memo": "社内用\n[renkei:rk-7-ab]"})
    assert tagged["reference"] == "rk-7-ab"
    item = example["value"]["items"][0]
    assert parse_date(item["delivery_date"], "delivery_date") == date(2023, 6, 7)
    assert parse_datetime(item["created_at"], "created_at") == datetime(
        2023, 6, 7, 16, 0, 19, tzinfo=JST
    )
    quote = load_spec("moneyforward")["components"]["examples"]["QuoteWithoutDeductPrice"]
    read = mf.quote_fields(on_the_wire(quote["value"]))
    assert (read["issue_date"], read["expiry_date"]) == (date(2022, 12, 1), date(2023, 12, 30))
    assert read["total"] == Decimal("100.0") and read["order_status"] == "default"


def test_money_forward_schema_examples_are_read():
    """The schemas' own ``example`` values (billing_date: 2023/08/24 …)."""
    found = list(schema_examples(load_spec("moneyforward")))
    dates = [(s, p, v) for s, p, v in found if p.endswith("_date")]
    assert ("Billing", "billing_date", "2023/08/24") in dates
    for _schema, prop, value in dates:
        assert parse_date(value, prop) == date(2023, 8, 24)


def test_money_forward_every_payment_status_label_and_code_is_read():
    schema = load_spec("moneyforward")["components"]["schemas"]["Billing"]
    labels = schema["properties"]["payment_status"]["enum"]
    assert labels == ["未設定", "未入金", "入金済み", "未払い", "振込済み"]
    read = {label: mf.billing_status({"payment_status": label}) for label in labels}
    assert read == {
        "未設定": "draft",
        "未入金": "unpaid",
        "入金済み": "paid",
        "未払い": "unpaid",
        "振込済み": "paid",
    }
    for code, status in (("0", "draft"), ("1", "unpaid"), ("2", "paid")):
        assert mf.billing_status({"payment_status": code}) == status


FREEE_SCHEMAS = (
    "#/components/schemas/InvoiceIndexResponse",
    "#/components/schemas/InvoiceShowResponse",
    "#/components/schemas/InvoiceResponse",
)


def test_the_freee_spec_has_no_examples_so_its_schemas_stand_in():
    """If freee's file gains examples, walk them like Money Forward's (this fails then)."""
    spec = load_spec("freee")
    assert list(response_examples(spec)) == [] and list(schema_examples(spec)) == []


@pytest.mark.parametrize("pointer", FREEE_SCHEMAS)
def test_every_freee_invoice_answer_form_is_read(pointer):
    spec, checker = load_spec("freee"), BodyChecker("freee")
    seen_payment, seen_cancel = set(), set()
    for answer in instances(spec, pointer):
        assert checker.errors(pointer, answer) == [], answer  # a valid answer
        wire = on_the_wire(answer)
        invoices = wire["invoices"] if "invoices" in wire else [wire["invoice"]]
        for invoice in invoices:
            fields = freee.remote_fields(invoice)
            assert fields["issue_date"] == date(2024, 5, 1)
            assert fields["total"] in (Decimal("1100"), Decimal("1100.5"))
            seen_payment.add(invoice["payment_status"])
            seen_cancel.add(invoice["cancel_status"])
    assert seen_payment == {"settled", "unsettled", "canceled", "unprocessed", "failed"}
    assert seen_cancel == {"canceled", "uncanceled"}


def test_freee_statuses_read_as_ours():
    read = lambda **kw: freee.invoice_status({"cancel_status": "uncanceled", **kw})  # noqa: E731
    assert read(payment_status="settled") == "paid"
    assert read(payment_status="failed") == "unpaid"
    assert freee.invoice_status({"cancel_status": "canceled", "payment_status": "x"}) == "void"


def test_zoho_documented_invoices_are_read():
    examples = zoho_examples()
    assert "zoho.com/invoice/api/v3/invoices" in examples["_source"]
    listed = on_the_wire(examples["list_invoices"])["invoices"][0]
    one = on_the_wire(examples["get_invoice"])["invoice"]
    for invoice in (listed, one):
        fields = zoho.remote_fields(invoice)
        assert fields["external_id"] == "982000000567114"  # a JSON number in Zoho's example
        assert (fields["issue_date"], fields["due_date"]) == (date(2013, 11, 17), date(2013, 12, 3))
        assert fields["total"] == Decimal("40.6")
        assert (fields["payment_status"], fields["status"]) == ("draft", "draft")
        assert parse_date(invoice["last_payment_date"], "last_payment_date") is None  # " "
        assert (fields["paid_on"], fields["reference"]) == (None, None)  # both " "
        modified = parse_zoho_time(invoice["last_modified_time"])
        assert modified == datetime(2013, 12, 18, 10, 2, 51, tzinfo=UTC)
    assert zoho.tax_ids([{"tax_id": 982000000557028, "tax_percentage": 10}]) == {
        "standard_10": "982000000557028"
    }
    # Paid so far: payment_made where the answer has it, else total − balance (a list).
    assert zoho.remote_fields(listed)["paid_amount"] == Decimal(0)
    assert zoho.remote_fields(one)["paid_amount"] == Decimal("26.91")
    contact = on_the_wire(examples["create_contact"])["contact"]
    assert zoho.contact_id(contact) == "460000000026049"


@pytest.mark.parametrize(
    "mapping,answer,field",
    [
        (mf.remote_fields, {"id": "a", "billing_date": "2026.12.02"}, "billing_date"),
        (mf.remote_fields, {"id": "a", "total_price": "1,100"}, "total_price"),
        (mf.remote_fields, {"id": "a", "payment_status": "返金済み"}, "payment_status"),
        (zoho.remote_fields, {"invoice_id": 1, "status": "sent", "total": "NaN"}, "total"),
        (zoho.remote_fields, {"invoice_id": 1, "status": "archived"}, "status"),
        (
            zoho.remote_fields,
            {"invoice_id": 1, "status": "paid", "payment_made": "x"},
            "payment_made",
        ),
        (zoho.remote_fields, {"invoice_id": 1, "status": "sent", "balance": [1]}, "balance"),
        (
            zoho.remote_fields,
            {"invoice_id": 1, "status": "paid", "last_payment_date": "17/11/2013"},
            "last_payment_date",
        ),
        (
            zoho.remote_fields,
            {"invoice_id": 1, "status": "sent", "reference_number": {}},
            "reference_number",
        ),
        (mf.remote_fields, {"id": "a", "memo": ["[renkei:x]"]}, "memo"),
        (freee.remote_fields, {"id": 1, "billing_date": "01/05/2024"}, "billing_date"),
        (freee.remote_fields, {"id": True}, "id"),
    ],
)
def test_unknown_forms_fail_in_words_naming_field_and_value(mapping, answer, field):
    with pytest.raises(ProviderDataError) as caught:
        mapping(answer)
    assert caught.value.field == field
    assert field in str(caught.value) and repr(answer[field]) in str(caught.value)
