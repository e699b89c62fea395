"""Zoho Invoice API v3 emulator.

Mounted at ``/sandbox/zoho``: API under ``/invoice/v3``, OAuth at ``/oauth/v2/auth``
and ``/oauth/v2/token`` (client_id/client_secret as form or query parameters, as
Zoho documents). API calls need ``Authorization: Zoho-oauthtoken <token>`` and the
organisation (``organization_id`` query parameter or the
``X-com-zoho-invoice-organizationid`` header) — except ``GET /organizations``.
A refresh token is issued only for ``access_type=offline`` and is not rotated.
Replies carry ``{"code": 0, "message": …}``; errors a non-zero code and a 4xx
status. 100 requests a minute per organisation, then 429.

Test controls (app/sandbox/control.py) in Zoho's terms (controls.py): a payment
``POST /_sandbox/documents/<invoice_id>/payments`` {"amount": 5000, "date":
"2026-12-10"} adds to payment_made, lowers balance, sets last_payment_date and makes
the invoice partially_paid or paid; ``…/edit`` {"customer_id": <contact id>,
"lines"}; ``POST /_sandbox/documents`` {"customer_id": <contact id>, "reference":
"rk-…", "lines": [...]} makes an invoice with that reference_number.
"""

from __future__ import annotations

from flask import g, request

from ..base import Sandbox
from ..common import ApiError
from ..oauth import OAuthConfig
from . import controls, documents, masters
from .model import document_json, seed, shown_status, zoho_time

# Zoho's codes for the refusals the sandbox makes (code, when the route gives none).
DEFAULT_CODES = {400: 2, 401: 57, 403: 57, 404: 1002, 405: 37, 429: 44, 500: 1000}


class ZohoSandbox(Sandbox):
    name = "zoho"
    display_name = "Zoho Invoice"
    api_prefixes = ("/invoice/v3",)
    oauth_config = OAuthConfig(
        authorize_path="/oauth/v2/auth",
        token_path="/oauth/v2/token",
        client_auth=("post",),
        params_in_query=True,
        rotate_refresh=False,
        offline_refresh_only=True,
        default_scope="ZohoInvoice.fullaccess.all",
        token_type="Bearer",
        token_prefix="1000.",
        auth_scheme="Zoho-oauthtoken",
    )
    default_settings = {"requests_per_minute": 100}

    def seed_data(self) -> dict:
        return seed()

    def register_api(self, bp) -> None:
        masters.register(self, bp)
        documents.register(self, bp)

    def root_url(self) -> str:
        return request.host_url.rstrip("/") + request.script_root + self.mount

    def authorize_extras(self) -> dict:
        # Zoho tells the client which data centre answered; token calls go there.
        return {"location": "us", "accounts-server": self.root_url()}

    def token_extras(self, issued_at: int) -> dict:
        return {"api_domain": self.root_url()}  # API base = api_domain + /invoice/v3

    def error(self, status, message, field=None, code=None):
        if code is None and status == 400 and field:
            message = f"Invalid value passed for {field}"
        return self.json({"code": code or DEFAULT_CODES.get(status, 1), "message": message}, status)

    def unauthorized(self, reason):
        return self.error(401, "You are not authorized to perform this operation", code=57)

    def before_api(self, token):
        if request.path.rstrip("/").endswith("/organizations"):
            return None
        org_id = request.args.get("organization_id") or request.headers.get(
            "X-com-zoho-invoice-organizationid"
        )
        if org_id not in self.state["organizations"]:
            return self.error(
                400,
                f"This user is not associated with the CompanyID/CompanyName:{org_id or ''}.",
                code=6041,
            )
        g.zoho_org = org_id
        allowed, info = self.limiter.hit(
            "minute", org_id, self.settings["requests_per_minute"], 60.0
        )
        if not allowed:
            response = self.error(
                429, "You have made too many requests continuously. Please try again later."
            )
            response.headers["Retry-After"] = str(info["retry_after"])
            return response
        return None

    # -- the human page and the control API -----------------------------------------------------
    def documents(self) -> list[dict]:
        rows = []
        for kind, label in (("invoices", "invoice"), ("estimates", "estimate")):
            for doc in self.state[kind].values():
                rows.append(
                    {
                        "id": doc[f"{label}_id"],
                        "kind": label,
                        "number": doc[f"{label}_number"],
                        "partner": doc["customer_name"],
                        "amount": doc["total"],
                        "status": shown_status(doc),
                        "updated": doc["last_modified_time"],
                    }
                )
        return sorted(rows, key=lambda row: row["updated"], reverse=True)

    def _find(self, doc_id: str) -> tuple[str, dict]:
        for kind in ("invoices", "estimates"):
            if doc_id in self.state[kind]:
                return kind, self.state[kind][doc_id]
        raise ApiError(404, f"no invoice or estimate {doc_id}")

    def set_document_status(self, doc_id, values):
        """Invoices: paid, partially_paid, sent, viewed, void, draft, unpaid (= sent).
        Estimates: "paid" means accepted; or draft, sent, accepted, declined, expired."""
        with self.store.write():
            kind, doc = self._find(doc_id)
            status = str(values.get("status") or "")
            if kind == "estimates":
                status = "accepted" if status == "paid" else status
                if status not in ("draft", "sent", "accepted", "declined", "expired"):
                    raise ApiError(400, f"unknown estimate status {status!r}")
                doc["status"] = status
            else:
                status = "sent" if status == "unpaid" else status
                if status not in ("draft", "sent", "viewed", "paid", "partially_paid", "void"):
                    raise ApiError(400, f"unknown invoice status {status!r}")
                documents.set_invoice_status(doc, status, values.get("payment_made"))
            doc["last_modified_time"] = zoho_time()
            return document_json(doc)

    def record_payment(self, doc_id, values):
        return controls.record_payment(self, doc_id, values)

    def edit_invoice(self, doc_id, values):
        return controls.edit_invoice(self, doc_id, values)

    def create_invoice(self, values):
        return controls.create_invoice(self, values)

    def delete_document(self, doc_id):
        with self.store.write():
            kind, _ = self._find(doc_id)
            del self.state[kind][doc_id]
