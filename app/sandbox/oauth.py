"""An OAuth2 authorization server per sandbox: authorization-code grant and refresh.

Behaviour the clients must cope with, as the real services do it:
- codes are single-use and live 10 minutes; redirect_uri must repeat the one given;
- refresh tokens rotate where the provider rotates them (Money Forward, freee): the
  old one is refused afterwards with 400 {"error": "invalid_grant"}; Zoho keeps its
  refresh token and issues one only when authorised with ``access_type=offline``;
- access tokens expire (``expires_in``); the API then answers the provider's 401.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from dataclasses import dataclass
from urllib.parse import unquote_plus, urlencode, urlsplit

from flask import Response, g, jsonify, redirect, render_template_string, request

from .html import AUTHORIZE_HTML, OAUTH_ERROR_HTML

DEMO_CLIENT_ID = "renkei-demo"
DEMO_CLIENT_SECRET = "renkei-demo-secret"
LOOPBACK = "loopback"  # a redirect_uri entry meaning "any URL on 127.0.0.1 / localhost"
CODE_TTL = 600


@dataclass(frozen=True)
class OAuthConfig:
    authorize_path: str
    token_path: str
    client_auth: tuple[str, ...] = ("basic", "post")  # how the client may authenticate
    params_in_query: bool = False  # Zoho also reads token parameters from the query
    rotate_refresh: bool = True
    offline_refresh_only: bool = False  # Zoho: refresh token only for access_type=offline
    require_scope: bool = False
    default_scope: str = ""
    token_type: str = "Bearer"
    token_prefix: str = ""
    auth_scheme: str = "Bearer"  # scheme of the API's Authorization header


def seed_oauth() -> dict:
    """OAuth state after a reset: only the demo client, which accepts loopback URLs."""
    demo = {"client_secret": DEMO_CLIENT_SECRET, "redirect_uris": [LOOPBACK]}
    return {"clients": {DEMO_CLIENT_ID: demo}, "codes": {}, "access": {}, "refresh": {}}


def _is_loopback(uri: str) -> bool:
    parts = urlsplit(uri)
    return parts.scheme in ("http", "https") and parts.hostname in ("127.0.0.1", "localhost")


def _oauth_error(error: str, description: str, status: int = 400) -> Response:
    response = jsonify({"error": error, "error_description": description})
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


class OAuthServer:
    """Authorization and token endpoints plus access-token checks for one sandbox."""

    def __init__(self, sandbox, config: OAuthConfig):
        self.sandbox = sandbox
        self.config = config

    @property
    def state(self) -> dict:
        return self.sandbox.state["oauth"]

    def register(self, bp) -> None:
        bp.add_url_rule(
            self.config.authorize_path, "oauth_authorize", self.authorize, methods=["GET", "POST"]
        )
        bp.add_url_rule(self.config.token_path, "oauth_token", self.token, methods=["POST"])

    # -- clients -------------------------------------------------------------------
    def register_client(
        self, client_id: str, secret: str, redirect_uris: list[str], auth_method: str | None = None
    ) -> None:
        """Register an app; ``auth_method`` ("client_secret_basic" or
        "client_secret_post") makes the token endpoint accept only that one, as Money
        Forward's アプリポータル does with the クライアント認証方式 chosen there."""
        with self.sandbox.store.write():
            self.state["clients"][client_id] = {
                "client_secret": secret,
                "redirect_uris": list(redirect_uris),
                "auth_method": auth_method,
            }

    def _redirect_ok(self, client: dict, uri: str) -> bool:
        uris = client["redirect_uris"]
        return uri in uris or (LOOPBACK in uris and _is_loopback(uri))

    # -- authorization endpoint ------------------------------------------------------
    def authorize(self):
        params = request.values
        client = self.state["clients"].get(params.get("client_id", ""))
        redirect_uri = params.get("redirect_uri", "")
        if client is None or not self._redirect_ok(client, redirect_uri):
            # RFC 6749 §4.1.2.1: never redirect to an unverified URI; show an error page.
            html = render_template_string(
                OAUTH_ERROR_HTML,
                provider=self.sandbox.display_name,
                message="Unknown client_id or unregistered redirect_uri.",
            )
            return Response(html, status=400, mimetype="text/html")
        state = params.get("state")
        if params.get("response_type") != "code":
            return self._back(redirect_uri, state, error="unsupported_response_type")
        scope = params.get("scope") or self.config.default_scope
        if self.config.require_scope and not params.get("scope"):
            return self._back(redirect_uri, state, error="invalid_scope")
        decision = params.get("auto") or params.get("decision")
        if decision == "deny":
            return self._back(redirect_uri, state, error="access_denied")
        if decision != "allow":
            html = render_template_string(
                AUTHORIZE_HTML,
                provider=self.sandbox.display_name,
                client_id=params.get("client_id"),
                scope=scope,
                params=[
                    (k, v) for k, v in params.items(multi=True) if k not in ("auto", "decision")
                ],
            )
            return Response(html, mimetype="text/html")
        code = secrets.token_urlsafe(24)
        with self.sandbox.store.write():
            self._prune()
            self.state["codes"][code] = {
                "client_id": params["client_id"],
                "redirect_uri": redirect_uri,
                "scope": scope,
                "expires_at": time.time() + CODE_TTL,
                "challenge": params.get("code_challenge"),
                "challenge_method": params.get("code_challenge_method", "plain"),
                "offline": params.get("access_type") == "offline",
            }
        return self._back(redirect_uri, state, code=code, **self.sandbox.authorize_extras())

    def _back(self, redirect_uri: str, state: str | None, **values):
        query = {k: v for k, v in values.items() if v is not None}
        if state is not None:
            query["state"] = state
        joiner = "&" if urlsplit(redirect_uri).query else "?"
        return redirect(f"{redirect_uri}{joiner}{urlencode(query)}", code=302)

    # -- token endpoint ---------------------------------------------------------------
    def token(self):
        params = request.form.to_dict()
        if self.config.params_in_query:
            params = {**request.args.to_dict(), **params}
        client_id = self._client_id(params)
        if client_id is None:
            return _oauth_error("invalid_client", "Client authentication failed.", 401)
        grant = params.get("grant_type")
        with self.sandbox.store.write():
            if grant == "authorization_code":
                return self._exchange_code(client_id, params)
            if grant == "refresh_token":
                return self._refresh(client_id, params)
        return _oauth_error("unsupported_grant_type", f"grant_type {grant!r} is not supported.")

    def _client_id(self, params: dict) -> str | None:
        """The authenticated client, by HTTP Basic or form fields as configured."""
        auth = request.authorization
        if auth and auth.type == "basic" and "basic" in self.config.client_auth:
            client_id, secret = unquote_plus(auth.username or ""), unquote_plus(auth.password or "")
            method = "client_secret_basic"
        elif "post" in self.config.client_auth and params.get("client_id"):
            client_id, secret = params["client_id"], params.get("client_secret", "")
            method = "client_secret_post"
        else:
            return None
        entry = g.get("sandbox_entry")
        if entry is not None:  # what the token endpoint received, never the secret itself
            entry["client_auth"] = method
            entry["grant_type"] = params.get("grant_type")
            entry["form_fields"] = sorted(params)
        client = self.state["clients"].get(client_id)
        if client is None or not secrets.compare_digest(client["client_secret"], secret):
            return None
        if client.get("auth_method") not in (None, method):
            return None
        return client_id

    def _exchange_code(self, client_id: str, params: dict):
        grant = self.state["codes"].pop(params.get("code", ""), None)  # single use
        if grant is None or grant["expires_at"] < time.time() or grant["client_id"] != client_id:
            return _oauth_error("invalid_grant", "The authorization code is invalid or expired.")
        if params.get("redirect_uri") != grant["redirect_uri"]:
            return _oauth_error("invalid_grant", "redirect_uri does not match the authorization.")
        if grant["challenge"] and not _pkce_ok(grant, params.get("code_verifier", "")):
            return _oauth_error("invalid_grant", "code_verifier does not match code_challenge.")
        with_refresh = grant["offline"] or not self.config.offline_refresh_only
        return jsonify(self.mint(client_id, grant["scope"], with_refresh=with_refresh))

    def _refresh(self, client_id: str, params: dict):
        old = params.get("refresh_token", "")
        record = self.state["refresh"].get(old)
        if record is None or record["client_id"] != client_id:
            return _oauth_error(
                "invalid_grant", "The refresh token is invalid or was already used."
            )
        if self.config.rotate_refresh:
            del self.state["refresh"][old]
            return jsonify(self.mint(client_id, record["scope"]))
        return jsonify(self.mint(client_id, record["scope"], with_refresh=False))

    def mint(self, client_id: str, scope: str, with_refresh=True, expires_in=None) -> dict:
        """Issue an access token (and refresh token); return the provider's token JSON."""
        ttl = self.sandbox.settings["token_ttl"] if expires_in is None else int(expires_in)
        issued = time.time()
        access = self.config.token_prefix + secrets.token_urlsafe(32)
        with self.sandbox.store.write():
            self._prune()
            self.state["access"][access] = {
                "client_id": client_id,
                "scope": scope,
                "issued_at": issued,
                "expires_at": issued + ttl,
            }
            body = {"access_token": access, "token_type": self.config.token_type}
            body.update({"expires_in": ttl, "scope": scope})
            if with_refresh:
                refresh = self.config.token_prefix + secrets.token_urlsafe(32)
                self.state["refresh"][refresh] = {"client_id": client_id, "scope": scope}
                body["refresh_token"] = refresh
        body.update(self.sandbox.token_extras(int(issued)))
        return body

    def _prune(self) -> None:
        """Forget codes and access tokens expired for a day, so state stays small."""
        horizon = time.time() - 86400
        for bucket in ("codes", "access"):
            stale = [k for k, v in self.state[bucket].items() if v["expires_at"] < horizon]
            for key in stale:
                del self.state[bucket][key]

    # -- resource server side --------------------------------------------------------------
    def authenticate(self) -> tuple[dict | None, str]:
        """(token record, "") for a valid token, else (None, "missing"|"invalid"|"expired")."""
        header = request.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        if not value or scheme.lower() != self.config.auth_scheme.lower():
            return None, "missing"
        record = self.state["access"].get(value.strip())
        if record is None:
            return None, "invalid"
        if record["expires_at"] <= time.time():
            return None, "expired"
        return record, ""

    def expire_all(self) -> int:
        """The ``expire_tokens`` fault: every current access token is expired now."""
        with self.sandbox.store.write():
            now = time.time()
            for record in self.state["access"].values():
                record["expires_at"] = min(record["expires_at"], now - 1)
            return len(self.state["access"])


def _pkce_ok(grant: dict, verifier: str) -> bool:
    if grant["challenge_method"] == "S256":
        digest = hashlib.sha256(verifier.encode()).digest()
        computed = base64.urlsafe_b64encode(digest).decode().rstrip("=")
    else:
        computed = verifier
    return secrets.compare_digest(computed, grant["challenge"])
