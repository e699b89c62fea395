"""freee Invoice (請求書) API emulator.

Mounted at ``/sandbox/freee``: the invoice API under ``/iv`` (paths from
freee-invoice-iv.yml: invoices, quotations, delivery slips, their templates and
cancel/uncancel), OAuth at ``/public_api/authorize`` and ``/public_api/token``
(client_id/client_secret as form fields; refresh tokens rotate; the token JSON
carries ``company_id``). Partners are not part of the invoice API — freee keeps them
in its accounting API — so a minimal ``/api/1/companies`` and ``/api/1/partners``
(list, get, create) stand in for it, outside the spec.

Every API answer carries freee's ``X-RateLimit-*`` headers; 30 a minute, 1500 an
hour and 3000 a day per application, then 429. Documents are numbered
automatically (freee's 自動採番) unless settings say ``"numbering": "manual"``.

Test controls (app/sandbox/control.py) in freee's terms (controls.py): a payment
``POST /_sandbox/documents/<invoice id>/payments`` {"amount": 5000, "date":
"2026-12-10"} shows only as payment_status — ``settled`` once paid in full,
``unsettled`` before — since the iv API reports no amount paid or payment date;
``…/edit`` {"customer_id": <partner id>, "lines"}; ``POST /_sandbox/documents``
{"customer_id": <partner id>, "reference": "rk-…", "lines": [...]} makes an invoice
whose memo carries ``[renkei:rk-…]``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import g, request

from ..base import Sandbox
from ..common import ApiError
from ..oauth import OAuthConfig
from . import accounting, controls, documents
from .model import COMPANY_ID, KINDS, seed, shape

ERROR_TYPES = {400: "bad_request", 403: "forbidden", 404: "not_found", 500: "internal_server_error"}
LIMITS = (("per_minute", 60, "-Minute", "X-Ratelimit"), ("per_hour", 3600, "", "X-RateLimit"))
LIMITS += (("per_day", 86400, "-Day", "X-RateLimit"),)


class FreeeSandbox(Sandbox):
    name = "freee"
    display_name = "freee請求書"
    api_prefixes = ("/iv", "/api/1")
    spec = "freee"
    spec_prefix = "/iv"
    oauth_config = OAuthConfig(
        authorize_path="/public_api/authorize",
        token_path="/public_api/token",
        client_auth=("post",),
        default_scope="read write",
        token_type="bearer",
    )
    default_settings = {"per_minute": 30, "per_hour": 1500, "per_day": 3000, "numbering": "auto"}

    def seed_data(self) -> dict:
        return seed()

    def register_api(self, bp) -> None:
        documents.register(self, bp)
        accounting.register(self, bp)
        accounting.register_items(self, bp)

    def token_extras(self, issued_at: int) -> dict:
        return {"created_at": issued_at, "company_id": COMPANY_ID}

    def root_url(self) -> str:
        return request.host_url.rstrip("/") + request.script_root + self.mount

    # -- errors --------------------------------------------------------------------------------
    def error(self, status, message, field=None, code=None):
        kind = ERROR_TYPES.get(status, "status")
        response = self.json(
            {"status_code": status, "errors": [{"type": kind, "messages": [message]}]}, status
        )
        if status in ERROR_TYPES:
            response.mimetype = "application/problem+json"  # as the spec declares them
        return response

    def describe_invalid(self, field: str, message: str) -> str:
        if message == "required":
            return f"{field}は必須です。"
        return f"{field}の値が不正です。({message})"

    def unauthorized(self, reason):
        text = (
            "アクセストークンの有効期限が切れています。"
            if reason == "expired"
            else "アクセストークンが無効です。"
        )
        return self.json({"message": "Unauthorized", "messages": text}, 401)

    # -- rate limits: counted per application, reported in X-RateLimit-* headers ------------------
    def before_api(self, token):
        g.freee_limits = []
        for setting, window, suffix, prefix in LIMITS:
            limit = self.settings[setting]
            allowed, info = self.limiter.hit(setting, token["client_id"], limit, window)
            if limit is not None:
                g.freee_limits.append((suffix, prefix, info))
            if not allowed:
                response = self.error(
                    429, "APIの利用上限に達しました。しばらくしてから再度お試しください。"
                )
                response.headers["Retry-After"] = str(info["retry_after"])
                return response
        return None

    def after_api(self, response):
        for suffix, prefix, info in g.get("freee_limits", []):
            reset = datetime.now(UTC) + timedelta(seconds=info["reset"])
            response.headers[f"{prefix}-Limit{suffix}"] = str(info["limit"])
            response.headers[f"{prefix}-Remaining{suffix}"] = str(info["remaining"])
            response.headers[f"{prefix}-Reset{suffix}"] = reset.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        return response

    # -- the human page and the control API ----------------------------------------------
    def documents(self) -> list[dict]:
        rows = []
        for doc in self.state["documents"].values():
            kind = KINDS[doc["_kind"]]
            status = doc.get("payment_status") or doc["sending_status"]
            if doc["cancel_status"] == "canceled":
                status = "canceled (取消済み)"
            rows.append(
                {
                    "id": str(doc["id"]),
                    "kind": f"{kind.label} {kind.key}",
                    "number": doc[kind.number],
                    "partner": doc.get("partner_name", ""),
                    "amount": doc["total_amount"],
                    "status": status,
                    "updated": doc["_updated_at"],
                    "payable": bool(kind.payment),
                }
            )
        return sorted(rows, key=lambda row: row["updated"], reverse=True)

    def set_document_status(self, doc_id, values):
        """payment_status / sending_status / cancel_status / deal_status, or "status":
        "paid" (→ settled) or any of those fields' values."""
        doc = self.state["documents"].get(str(doc_id))
        if doc is None:
            raise ApiError(404, f"no document {doc_id}")
        kind = KINDS[doc["_kind"]]
        fields = {"sending_status": ("sent", "unsent"), "cancel_status": ("canceled", "uncanceled")}
        if kind.payment:
            fields["payment_status"] = kind.payment
        if kind.deal:
            fields["deal_status"] = ("registered", "unregistered")
        wanted = {k: values[k] for k in fields if values.get(k)}
        status = values.get("status")
        if status == "paid" and kind.payment:
            wanted["payment_status"] = "settled"
        elif status:
            wanted.update({k: status for k, allowed in fields.items() if status in allowed})
        bad = [k for k, v in wanted.items() if v not in fields[k]]
        if not wanted or bad:
            raise ApiError(400, f"cannot set {values} on a {kind.key}")
        with self.store.write():
            doc.update(wanted)
            documents.touch(doc)
        return shape(doc, f"#/components/schemas/{kind.schema}ShowResponse_{kind.key}")

    def record_payment(self, doc_id, values):
        return controls.record_payment(self, doc_id, values)

    def edit_invoice(self, doc_id, values):
        return controls.edit_invoice(self, doc_id, values)

    def create_invoice(self, values):
        return controls.create_invoice(self, values)

    def delete_document(self, doc_id):
        # freee has no delete in its invoice API; the sandbox page can still remove one.
        with self.store.write():
            if self.state["documents"].pop(str(doc_id), None) is None:
                raise ApiError(404, f"no document {doc_id}")
