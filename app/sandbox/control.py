"""The control API (``/_sandbox/…``) and the human page (``/``) of every sandbox.

JSON endpoints, for tests and the demo:
- ``POST faults`` {"kind", "count", "retry_after", "delay", "path", "method"};
  ``DELETE faults``; ``expire_tokens`` acts at once on every current access token;
- ``POST reset`` wipes the provider's state (the demo client comes back);
- ``GET requests?since=<index>`` → {"requests": [...], "next_index": n}, newest last;
- ``POST clients`` {"client_id", "client_secret", "redirect_uri" (or a list),
  "token_endpoint_auth_method"?}; the token requests' log entries say which
  client authentication they used (``client_auth``) and which form fields came;
- ``POST tokens`` {"client_id", "scope"?, "expires_in"?} → the provider's token JSON;
- ``GET documents``; ``POST documents/<id>/status`` {"status": "paid"|…} or the
  provider's own field names; ``DELETE documents/<id>``;
- invoices as a person or another program would change them at the provider (tests):
  ``POST documents/<id>/payments`` {"amount"?, "date"?} records a payment (amount
  defaults to what is outstanding, date to today; more than outstanding is refused)
  and shows it as the provider does; ``POST documents/<id>/edit`` {"lines"?,
  "customer_id"?} replaces the lines (totals recomputed) or the customer;
  ``POST documents`` {"customer_id", "reference"?, "lines", "issue_date"?,
  "due_date"?, "title"?, "number"?} makes an invoice carrying ``reference`` where the
  provider keeps it (201). Lines are Renkei's: [{"name", "unit_price", "quantity",
  "tax_rate": "standard_10"|"reduced_8"|"exempt"}]; ``customer_id`` is the id Renkei
  keeps for the customer (partner / contact id). Each answers {"document": the
  invoice as the provider's API answers it};
- ``GET|POST settings``: token_ttl and the provider's rate limits (null disables).
The page's forms post the same endpoints with form data and are redirected back.
"""

from __future__ import annotations

from flask import Response, redirect, render_template_string, request

from .common import ApiError
from .faults import KINDS, parse_fault
from .html import PAGE_HTML


def _values() -> tuple[dict, bool]:
    """(body, from_form): JSON bodies from programs, form data from the page."""
    body = request.get_json(silent=True)
    if isinstance(body, dict):
        return body, False
    return request.form.to_dict(), True


def register_control(sandbox, bp) -> None:
    """Add the control endpoints and the page of ``sandbox`` to ``bp``."""

    def back_to_page():
        return redirect(f"{request.script_root}{sandbox.mount}/", code=303)

    def refuse(message: str, status: int = 400):
        return sandbox.json({"error": message}, status)

    @bp.get("/")
    def sandbox_page():
        base = request.script_root + sandbox.mount
        html = render_template_string(
            PAGE_HTML,
            provider=sandbox.display_name,
            base=base,
            api_base=base + sandbox.api_prefixes[0],
            documents=sandbox.documents(),
            faults=sandbox.faults.pending(),
            kinds=KINDS,
        )
        return Response(html, mimetype="text/html")

    @bp.post("/_sandbox/faults")
    def add_fault():
        body, from_form = _values()
        try:
            fault = parse_fault(body)
        except ValueError as exc:
            return refuse(str(exc))
        if fault.kind == "expire_tokens":
            expired = sandbox.oauth.expire_all()
            return back_to_page() if from_form else sandbox.json({"expired": expired})
        sandbox.faults.add(fault)
        if from_form:
            return back_to_page()
        return sandbox.json({"fault": fault.public(), "pending": sandbox.faults.pending()}, 201)

    @bp.delete("/_sandbox/faults")
    def clear_faults():
        sandbox.faults.clear()
        return Response(status=204)

    @bp.post("/_sandbox/faults/clear")
    def clear_faults_form():
        sandbox.faults.clear()
        return back_to_page()

    @bp.post("/_sandbox/reset")
    def reset():
        sandbox.reset()
        return sandbox.json({"reset": True})

    @bp.get("/_sandbox/requests")
    def requests_log():
        try:
            since = int(request.args.get("since", 0))
        except ValueError:
            return refuse("since must be an integer")
        entries = sandbox.log.since(since)
        next_index = entries[-1]["index"] + 1 if entries else since
        return sandbox.json({"requests": entries, "next_index": next_index})

    @bp.post("/_sandbox/clients")
    def add_client():
        body, _ = _values()
        uris = body.get("redirect_uris") or body.get("redirect_uri") or []
        uris = [uris] if isinstance(uris, str) else list(uris)
        if not body.get("client_id") or not body.get("client_secret") or not uris:
            return refuse("client_id, client_secret and redirect_uri are required")
        method = body.get("token_endpoint_auth_method") or None
        if method not in (None, "client_secret_basic", "client_secret_post"):
            return refuse("token_endpoint_auth_method: client_secret_basic or client_secret_post")
        sandbox.oauth.register_client(body["client_id"], body["client_secret"], uris, method)
        return sandbox.json({"client_id": body["client_id"], "redirect_uris": uris}, 201)

    @bp.post("/_sandbox/tokens")
    def mint_token():
        body, _ = _values()
        client_id = body.get("client_id") or ""
        if client_id not in sandbox.state["oauth"]["clients"]:
            return refuse(f"unknown client_id {client_id!r}")
        scope = body.get("scope") or sandbox.oauth_config.default_scope
        expires_in = body.get("expires_in")
        try:
            expires_in = None if expires_in is None else max(0, int(expires_in))
        except (TypeError, ValueError):
            return refuse("expires_in must be an integer")
        return sandbox.json(sandbox.oauth.mint(client_id, scope, expires_in=expires_in))

    @bp.get("/_sandbox/documents")
    def list_documents():
        return sandbox.json({"documents": sandbox.documents()})

    @bp.post("/_sandbox/documents/<doc_id>/status")
    def document_status(doc_id):
        body, from_form = _values()
        try:
            document = sandbox.set_document_status(doc_id, body)
        except ApiError as exc:
            return refuse(exc.message, exc.status)
        return back_to_page() if from_form else sandbox.json({"document": document})

    @bp.delete("/_sandbox/documents/<doc_id>")
    def delete_document(doc_id):
        try:
            sandbox.delete_document(doc_id)
        except ApiError as exc:
            return refuse(exc.message, exc.status)
        return Response(status=204)

    @bp.post("/_sandbox/documents/<doc_id>/delete")
    def delete_document_form(doc_id):
        try:
            sandbox.delete_document(doc_id)
        except ApiError as exc:
            return refuse(exc.message, exc.status)
        return back_to_page()

    def changed(change, status: int = 200):
        body, from_form = _values()
        try:
            document = change(body)
        except ApiError as exc:
            return refuse(exc.message, exc.status)
        return back_to_page() if from_form else sandbox.json({"document": document}, status)

    @bp.post("/_sandbox/documents/<doc_id>/payments")
    def record_payment(doc_id):
        return changed(lambda body: sandbox.record_payment(doc_id, body))

    @bp.post("/_sandbox/documents/<doc_id>/edit")
    def edit_invoice(doc_id):
        return changed(lambda body: sandbox.edit_invoice(doc_id, body))

    @bp.post("/_sandbox/documents")
    def create_invoice():
        return changed(sandbox.create_invoice, 201)

    @bp.route("/_sandbox/settings", methods=["GET", "POST"])
    def settings():
        if request.method == "POST":
            body, _ = _values()
            unknown = set(body) - set(sandbox.settings)
            if unknown:
                return refuse(f"unknown settings: {', '.join(sorted(unknown))}")
            for key, value in body.items():
                if isinstance(sandbox.initial_settings.get(key), str):
                    sandbox.settings[key] = str(value)  # e.g. freee's numbering mode
                    continue
                try:
                    sandbox.settings[key] = None if value in (None, "") else int(value)
                except (TypeError, ValueError):
                    return refuse(f"{key} must be an integer or null")
        return sandbox.json({"settings": sandbox.settings})
