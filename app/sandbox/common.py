"""Small helpers shared by the three emulators: clock, ids, money and paging."""

from __future__ import annotations

import base64
import math
import secrets
import uuid
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_FLOOR, ROUND_HALF_UP, Decimal, InvalidOperation

# All three services are used from Japan; the sandbox answers in Japan time.
JST = timezone(timedelta(hours=9), "JST")

# Rounding modes by the names the providers use for them.
ROUNDING = {
    "round_down": ROUND_DOWN,  # MF 切り捨て
    "round_up": ROUND_CEILING,  # MF 切り上げ (amounts are positive in practice)
    "round_off": ROUND_HALF_UP,  # MF 四捨五入
    "omit": ROUND_FLOOR,  # freee 切り捨て
    "round": ROUND_HALF_UP,  # freee 四捨五入
}


class ApiError(Exception):
    """A refusal the emulator answers with the provider's error body."""

    def __init__(self, status: int, message: str, field: str | None = None, code=None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field
        self.code = code


def now() -> datetime:
    """The current time in JST, to the second (the providers' precision)."""
    return datetime.now(JST).replace(microsecond=0)


def iso(moment: datetime) -> str:
    """RFC 3339 time, e.g. 2024-05-01T10:00:00+09:00 (what 'format: date-time' demands)."""
    return moment.isoformat(timespec="seconds")


def parse_time(text: str) -> datetime:
    """Parse ISO-8601 with or without a colon in the offset; naive means JST."""
    value = text.strip().replace(" ", "T", 1).replace("Z", "+00:00")
    if len(value) >= 5 and value[-5] in "+-" and value[-3] != ":":
        value = f"{value[:-2]}:{value[-2:]}"  # Zoho writes +0900
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=JST)


def parse_date(text, field: str, slashes: bool = False) -> date:
    """A YYYY-MM-DD date (or YYYY/MM/DD where ``slashes``) or an ApiError naming ``field``."""
    value = str(text)
    if slashes and len(value) == 10 and value[4] == value[7] == "/":
        value = value.replace("/", "-")
    try:
        return date.fromisoformat(value)
    except ValueError:
        shown = "YYYY-MM-DD or YYYY/MM/DD" if slashes else "YYYY-MM-DD"
        raise ApiError(400, f"{field} is not a valid date ({shown})", field) from None


def today() -> date:
    return now().date()


def to_decimal(value, field: str) -> Decimal:
    """A Decimal from a JSON number or numeric string; floats go through str()."""
    try:
        result = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ApiError(400, f"{field} must be a number", field) from None
    if not result.is_finite():
        raise ApiError(400, f"{field} must be a number", field)
    return result


def round_to(value: Decimal, mode: str, places: int = 0) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUNDING.get(mode, mode))


def json_number(value: Decimal) -> int | float:
    """A JSON number: an int when whole (yen amounts), otherwise a float."""
    return int(value) if value == value.to_integral_value() else float(value)


def plain(value: Decimal) -> str:
    """'10', '1.5' — how Money Forward writes prices and quantities."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def ruby_decimal(value: Decimal) -> str:
    """'100.0', '12.5' — how Money Forward (Ruby BigDecimal#to_s('F')) writes totals."""
    text = plain(value)
    return text if "." in text else f"{text}.0"


def mf_id() -> str:
    """A 22-character url-safe id like Money Forward's ('95PHKI9_FeSw3coTj673Cg')."""
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")


def token(prefix: str = "", nbytes: int = 32) -> str:
    return prefix + secrets.token_urlsafe(nbytes)


def page_args(args, default_per_page: int, max_per_page: int, per_page_name="per_page"):
    """(page, per_page) from query args, refusing values the providers refuse."""
    try:
        page = int(args.get("page", 1))
        per_page = int(args.get(per_page_name, default_per_page))
    except ValueError:
        raise ApiError(400, "page and per_page must be integers", "page") from None
    if page < 1:
        raise ApiError(400, "page must be 1 or more", "page")
    if not 1 <= per_page <= max_per_page:
        raise ApiError(400, f"{per_page_name} must be between 1 and {max_per_page}", per_page_name)
    return page, per_page


def paginate(rows: list, page: int, per_page: int) -> tuple[list, int]:
    """The rows of ``page`` and the number of pages."""
    start = (page - 1) * per_page
    return rows[start : start + per_page], math.ceil(len(rows) / per_page)


# -- the test controls' provider-neutral invoice lines --------------------------------------
TAX_RATES = {"standard_10": (10, False), "reduced_8": (8, True), "exempt": (0, False)}


def neutral_lines(raw) -> list[dict]:
    """Lines a test control was given, in Renkei's words: ``[{"name", "unit_price",
    "quantity", "tax_rate": "standard_10"|"reduced_8"|"exempt"}]``, checked; each
    sandbox writes them in its provider's form."""
    if not isinstance(raw, list) or not raw:
        raise ApiError(400, "lines: a non-empty list is required", "lines")
    lines = []
    for index, line in enumerate(raw):
        where = f"lines[{index}]"
        if not isinstance(line, dict) or not str(line.get("name") or "").strip():
            raise ApiError(400, f"{where}.name is required", f"{where}.name")
        rate = line.get("tax_rate", "standard_10")
        if rate not in TAX_RATES:
            known = ", ".join(TAX_RATES)
            raise ApiError(400, f"{where}.tax_rate must be one of {known}", f"{where}.tax_rate")
        lines.append(
            {
                "name": str(line["name"]),
                "unit_price": to_decimal(line.get("unit_price", 0), f"{where}.unit_price"),
                "quantity": to_decimal(line.get("quantity", 1), f"{where}.quantity"),
                "tax_rate": rate,
            }
        )
    return lines


def payment_of(values: dict, outstanding: Decimal) -> tuple[Decimal, date]:
    """(amount, date) of a payment a test records: ``amount`` defaults to what is still
    outstanding, ``date`` (YYYY-MM-DD) to today; refused when not above 0 or above
    what is outstanding (the services refuse an overpayment of an invoice)."""
    raw = values.get("amount")
    amount = outstanding if raw in (None, "") else to_decimal(raw, "amount")
    if amount <= 0:
        raise ApiError(400, "amount must be more than 0 (nothing outstanding?)", "amount")
    if amount > outstanding:
        raise ApiError(400, f"amount {amount} is more than the balance {outstanding}", "amount")
    day = parse_date(values.get("date") or today().isoformat(), "date")
    return amount, day


def due_of(values: dict, issued: date) -> date:
    """A test control's ``due_date``, else 30 days after ``issued``."""
    if values.get("due_date"):
        return parse_date(values["due_date"], "due_date")
    return issued + timedelta(days=30)
