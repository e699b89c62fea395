"""A tiny real HTTP server for unit tests of the provider layer (no mocking of requests).

``ScriptedServer`` answers each (method, path) from a script of replies and records
every request it received. ``FakeOAuth`` adds a token endpoint that rotates refresh
tokens and an API route that checks bearer tokens, like the real providers.
"""

from __future__ import annotations

import json
import secrets
import socket
import threading
import time
from dataclasses import dataclass, field

from flask import Flask, Response, request
from werkzeug.serving import make_server


@dataclass
class Reply:
    status: int = 200
    body: object = None
    headers: dict = field(default_factory=dict)
    delay: float = 0.0
    drop: bool = False
    text: str | None = None


class ServerThread:
    """Serve a WSGI app on 127.0.0.1:<free port> in a daemon thread."""

    def __init__(self, app):
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class ScriptedServer:
    def __init__(self):
        self.app = Flask(__name__)
        self.lock = threading.Lock()
        self.scripts: dict[tuple[str, str], list[Reply]] = {}
        self.requests: list[dict] = []
        self.app.add_url_rule(
            "/<path:path>", "any", self._handle, methods=["GET", "POST", "PUT", "DELETE"]
        )
        self.thread = ServerThread(self.app)
        self.url = self.thread.url

    def on(self, method: str, path: str, *replies: Reply) -> None:
        """Answer the next requests to (method, path) with ``replies``; the last repeats."""
        with self.lock:
            self.scripts[(method.upper(), path)] = list(replies)

    def reset(self) -> None:
        with self.lock:
            self.scripts.clear()
            self.requests.clear()

    def seen(self, method: str | None = None, path: str | None = None) -> list[dict]:
        with self.lock:
            return [
                r
                for r in self.requests
                if (method is None or r["method"] == method) and (path is None or r["path"] == path)
            ]

    def _handle(self, path):
        path = "/" + path
        entry = {
            "method": request.method,
            "path": path,
            "args": request.args.to_dict(),
            "headers": dict(request.headers),
            "body": request.get_data(as_text=True),
            "time": time.time(),
        }
        with self.lock:
            self.requests.append(entry)
            replies = self.scripts.get((request.method, path))
            reply = (replies.pop(0) if len(replies) > 1 else replies[0]) if replies else None
        if reply is None:
            return Response(json.dumps({"message": "no script"}), 404, mimetype="application/json")
        if reply.delay:
            time.sleep(reply.delay)
        if reply.drop:
            sock = request.environ.get("werkzeug.socket")
            sock.shutdown(socket.SHUT_RDWR)
            return Response(b"", 500)
        text = reply.text if reply.text is not None else json.dumps(reply.body)
        return Response(text, reply.status, headers=reply.headers, mimetype="application/json")

    def stop(self):
        self.thread.stop()


class FakeOAuth:
    """An OAuth token endpoint + protected API on one server, counting token calls."""

    def __init__(self, client_id="cid", client_secret="csecret-123456", token_delay=0.0):
        self.client_id, self.client_secret = client_id, client_secret
        self.token_delay = token_delay
        self.lock = threading.Lock()
        self.access: dict[str, float] = {}
        self.refresh: set[str] = set()
        self.token_calls: list[dict] = []
        self.api_calls: list[str] = []
        app = Flask(__name__)
        app.add_url_rule("/oauth/token", "token", self._token, methods=["POST"])
        app.add_url_rule("/api/things", "things", self._things, methods=["GET", "POST"])
        self.thread = ServerThread(app)
        self.url = self.thread.url

    def mint(self, ttl: int = 3600) -> dict:
        access, refresh = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
        with self.lock:
            self.access[access] = time.time() + ttl
            self.refresh.add(refresh)
        return {
            "access_token": access,
            "refresh_token": refresh,
            "expires_in": ttl,
            "token_type": "Bearer",
            "scope": "read write",
        }

    def revoke_access(self) -> None:
        with self.lock:
            self.access.clear()

    def _token(self):
        form = request.form.to_dict()
        with self.lock:
            self.token_calls.append(form)
        if self.token_delay:
            time.sleep(self.token_delay)  # widen the window in which a race could happen
        if form.get("client_secret") != self.client_secret:
            return {"error": "invalid_client"}, 401
        old = form.get("refresh_token")
        with self.lock:
            if form.get("grant_type") != "refresh_token" or old not in self.refresh:
                return {"error": "invalid_grant", "error_description": "bad refresh"}, 400
            self.refresh.discard(old)  # rotation: the old one is spent
        return self.mint()

    def _things(self):
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        with self.lock:
            self.api_calls.append(token)
            valid = self.access.get(token, 0) > time.time()
        if not valid:
            return {"error": "invalid_token"}, 401
        return {"things": [1, 2, 3]}

    def stop(self):
        self.thread.stop()
