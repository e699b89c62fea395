"""Money Forward Cloud Invoice API v3 emulator.

Mounted at ``/sandbox/moneyforward``: API under ``/api/v3`` (paths from the spec),
OAuth at ``/oauth/authorize`` and ``/oauth/token`` (client_secret_basic or
client_secret_post; refresh tokens rotate). Writes (POST/PUT/DELETE) are limited to
3 a second per OAuth client → 429 with Retry-After. Errors answer
``{"errors": [{"message": …, "field": …}]}``; a bad or expired token answers 401
``{"error": "invalid_token", "error_description": …}`` with a WWW-Authenticate header.

Test controls (app/sandbox/control.py) in Money Forward's terms (controls.py): a
payment shows only as 入金ステータス — 入金済み when the billing is paid in full, 未入金
before — since a billing reports no amount paid and no payment date;
``POST /_sandbox/documents/<billing_id>/payments`` {"amount": 5500, "date":
"2026-12-10"}; ``…/edit`` {"customer_id": <partner id> or "department_id", "lines"};
``POST /_sandbox/documents`` {"customer_id": <partner id>, "reference": "rk-…",
"lines": [...]} makes a billing whose memo carries ``[renkei:rk-…]``.
"""

from __future__ import annotations

from flask import request

from ..base import Sandbox
from ..common import ApiError, iso, now
from ..oauth import OAuthConfig
from . import billings, controls, masters, quotes
from .model import ORDER_STATUS, PAYMENT_LABELS, billing_json, provider_forms, quote_json, seed

READ_SCOPE = "mfc/invoice/data.read"
WRITE_SCOPE = "mfc/invoice/data.write"
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


class MoneyForwardSandbox(Sandbox):
    name = "moneyforward"
    display_name = "Money Forward クラウド請求書"
    api_prefixes = ("/api/v3",)
    spec = "moneyforward"
    spec_prefix = "/api/v3"
    beyond_spec = ("/billings/<billing_id>.pdf", "/quotes/<quote_id>.pdf")  # pdf_url
    oauth_config = OAuthConfig(
        authorize_path="/oauth/authorize",
        token_path="/oauth/token",
        client_auth=("basic", "post"),
        require_scope=True,
        default_scope=f"{READ_SCOPE} {WRITE_SCOPE}",
        token_type="Bearer",
    )
    # The office's 請求書設定 (BillingConfig): set in Money Forward's screens, never by a
    # create request; the sandbox lets a test change it through /_sandbox/settings.
    default_settings = {
        "writes_per_second": 3,
        "rounding": "round_down",
        "rounding_consumption_tax": "round_down",
        "consumption_tax_display_type": "external",
    }

    def seed_data(self) -> dict:
        return seed()

    def register_api(self, bp) -> None:
        masters.register(self, bp)
        billings.register(self, bp)
        quotes.register(self, bp)

    def token_extras(self, issued_at: int) -> dict:
        return {"created_at": issued_at}  # Money Forward's token JSON carries it

    def json(self, payload, status: int = 200):
        """Answers in Money Forward's written forms unless the sandbox is lenient."""
        return super().json(provider_forms(payload) if self.strict else payload, status)

    def route(self, bp, rule: str, **options):
        return bp.route(self.api_prefixes[0] + rule, **options)

    # -- errors ------------------------------------------------------------------------------
    def error(self, status, message, field=None, code=None):
        error = {"message": message}
        if field:
            error["field"] = field
        return self.json({"errors": [error]}, status)

    def describe_invalid(self, field: str, message: str) -> str:
        if message == "required":
            return f"{field}を入力してください"
        return f"{field}は不正な値です ({message})"

    def unauthorized(self, reason):
        description = {
            "missing": "The access token is missing.",
            "invalid": "The access token is invalid.",
            "expired": "The access token expired.",
        }[reason]
        response = self.json({"error": "invalid_token", "error_description": description}, 401)
        response.headers["WWW-Authenticate"] = (
            f'Bearer realm="moneyforward", error="invalid_token", error_description="{description}"'
        )
        return response

    # -- checks before every API call -------------------------------------------------------------
    def before_api(self, token):
        scopes = set(token["scope"].split())
        needed = WRITE_SCOPE if request.method in WRITE_METHODS else None
        if (needed and needed not in scopes) or not (scopes & {READ_SCOPE, WRITE_SCOPE}):
            return self.error(403, "この操作を行う権限がありません (insufficient scope)")
        if request.method in WRITE_METHODS:
            allowed, info = self.limiter.hit(
                "writes", token["client_id"], self.settings["writes_per_second"], 1.0
            )
            if not allowed:
                response = self.error(429, "Too Many Requests")
                response.headers["Retry-After"] = str(info["retry_after"])
                return response
        return None

    # -- the human page and the control API ----------------------------------------------
    def documents(self) -> list[dict]:
        rows = []
        for billing in self.state["billings"].values():
            rows.append(
                {
                    "id": billing["id"],
                    "kind": "請求書 billing",
                    "number": billing.get("billing_number", ""),
                    "partner": billing["partner_name"],
                    "amount": billing["total_price"],
                    "status": PAYMENT_LABELS[billing["payment_status"]],
                    "updated": billing["updated_at"],
                }
            )
        for quote in self.state["quotes"].values():
            rows.append(
                {
                    "id": quote["id"],
                    "kind": "見積書 quote",
                    "number": quote.get("quote_number", ""),
                    "partner": quote["partner_name"],
                    "amount": quote["total_price"],
                    "status": quote["order_status"],
                    "updated": quote["updated_at"],
                }
            )
        return sorted(rows, key=lambda row: row["updated"], reverse=True)

    def set_document_status(self, doc_id, values):
        """Billings: payment_status (code or label; "paid" → 入金済み), or email_status /
        posting_status (the spec's labels: 送付済み, 郵送済み …). Quotes: order_status."""
        wanted = str(values.get("payment_status") or values.get("status") or "")
        sending = {k: values[k] for k in ("email_status", "posting_status") if values.get(k)}
        with self.store.write():
            if doc_id in self.state["billings"] and sending:
                billing = self.state["billings"][doc_id]
                billing.update(sending, updated_at=iso(now()))
                return billing_json(billing)
            if doc_id in self.state["billings"]:
                codes = {label: code for code, label in PAYMENT_LABELS.items()}
                codes.update(paid="2", unpaid="1", unset="0")
                code = wanted if wanted in PAYMENT_LABELS else codes.get(wanted)
                if code is None:
                    raise ApiError(400, f"unknown payment_status {wanted!r}")
                billing = self.state["billings"][doc_id]
                billing.update(payment_status=code, updated_at=iso(now()))
                return billing_json(billing)
            if doc_id in self.state["quotes"]:
                wanted = str(values.get("order_status") or wanted)
                labels = {**ORDER_STATUS, "paid": "received"}
                status = wanted if wanted in ORDER_STATUS.values() else labels.get(wanted)
                if status is None:
                    raise ApiError(400, f"unknown order_status {wanted!r}")
                quote = self.state["quotes"][doc_id]
                quote.update(order_status=status, updated_at=iso(now()))
                return quote_json(quote)
        raise ApiError(404, f"no billing or quote {doc_id}")

    def record_payment(self, doc_id, values):
        return controls.record_payment(self, doc_id, values)

    def edit_invoice(self, doc_id, values):
        return controls.edit_invoice(self, doc_id, values)

    def create_invoice(self, values):
        return controls.create_invoice(self, values)

    def delete_document(self, doc_id):
        with self.store.write():
            for kind in ("billings", "quotes"):
                if self.state[kind].pop(doc_id, None) is not None:
                    return
        raise ApiError(404, f"no billing or quote {doc_id}")
