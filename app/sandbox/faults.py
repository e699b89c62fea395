"""Fault injection: make the next N matching requests fail the way real services fail.

Kinds: ``429`` (with Retry-After), ``500``, ``slow`` (sleep, then answer normally),
``drop`` (close the TCP connection without any HTTP response) and ``expire_tokens``
(handled by the OAuth server at once: every current access token then gets a 401).
"""

from __future__ import annotations

import re
import socket
import threading
from dataclasses import asdict, dataclass, field

KINDS = ("429", "500", "slow", "drop", "expire_tokens")


@dataclass
class Fault:
    kind: str
    count: int = 1
    retry_after: int = 1
    delay: float = 1.0
    path: str | None = None
    method: str | None = None
    _regex: re.Pattern | None = field(default=None, repr=False, compare=False)

    def matches(self, method: str, path: str) -> bool:
        if self.method and self.method.upper() != method.upper():
            return False
        return self._regex is None or bool(self._regex.search(path))

    def public(self) -> dict:
        data = asdict(self)
        data.pop("_regex")
        return data


def parse_fault(body: dict) -> Fault:
    """A Fault from the control API's JSON (or form) body; ValueError when invalid."""
    kind = str(body.get("kind", ""))
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}")
    try:
        fault = Fault(
            kind=kind,
            count=int(body.get("count") or 1),
            retry_after=int(body.get("retry_after") or 1),
            delay=float(body.get("delay") or 1.0),
            path=body.get("path") or None,
            method=body.get("method") or None,
        )
    except (TypeError, ValueError):
        raise ValueError("count, retry_after and delay must be numbers") from None
    if fault.count < 1 or fault.retry_after < 0 or not 0 <= fault.delay <= 120:
        raise ValueError("count must be ≥ 1, retry_after ≥ 0, delay between 0 and 120")
    if fault.path:
        try:
            fault._regex = re.compile(fault.path)
        except re.error as exc:
            raise ValueError(f"path is not a valid regex: {exc}") from None
    return fault


class FaultInjector:
    """Pending faults, consumed one request at a time (thread-safe)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def pending(self) -> list[dict]:
        with self._lock:
            return [f.public() for f in self._faults]

    def take(self, method: str, path: str) -> Fault | None:
        """The first fault matching this request, its count decremented; None if none."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path):
                    fault.count -= 1
                    if fault.count <= 0:
                        self._faults.remove(fault)
                    return fault
        return None


def drop_connection(environ: dict) -> bool:
    """Shut the client's socket down so it receives no HTTP response at all.

    werkzeug's dev server (``werkzeug.socket``) and gunicorn (``gunicorn.socket``)
    expose the connection; writing the response afterwards fails with a broken pipe,
    which both servers treat as a client disconnect. Returns False when no socket is
    reachable (another server): the caller then answers a plain 500.
    """
    sock = environ.get("werkzeug.socket") or environ.get("gunicorn.socket")
    if sock is None:
        return False
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # already closed by the peer: dropped all the same
    return True
