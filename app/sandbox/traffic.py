"""What the sandbox saw and how often: the request log and the rate limiters."""

from __future__ import annotations

import math
import threading
import time
from collections import deque

MAX_LOG = 5000  # enough for any test run; older entries fall off, indexes stay monotonic


class RequestLog:
    """Requests received (method, path, query, time, status), newest last."""

    def __init__(self):
        self._lock = threading.Lock()
        self._entries: deque[dict] = deque(maxlen=MAX_LOG)
        self._next = 0

    def start(self, method: str, path: str, query: str) -> dict:
        entry = {
            "index": 0,
            "method": method,
            "path": path,
            "query": query,
            "time": time.time(),
            "status": None,
        }
        with self._lock:
            entry["index"] = self._next
            self._next += 1
            self._entries.append(entry)
        return entry

    def since(self, index: int = 0) -> list[dict]:
        with self._lock:
            return [dict(e) for e in self._entries if e["index"] >= index]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


class RateLimiter:
    """Sliding-window counters keyed by (name, key); thread-safe."""

    def __init__(self):
        self._lock = threading.Lock()
        self._hits: dict[tuple, deque] = {}

    def hit(self, name: str, key: str, limit: int | None, window: float) -> tuple[bool, dict]:
        """Count one request; return (allowed, info) with limit/remaining/reset/retry_after.

        A refused request is not counted, as with the real services: waiting
        ``retry_after`` seconds is always enough.
        """
        now = time.monotonic()
        with self._lock:
            hits = self._hits.setdefault((name, key), deque())
            while hits and hits[0] <= now - window:
                hits.popleft()
            if limit is None:
                return True, {"limit": None, "remaining": None, "reset": 0, "retry_after": 0}
            allowed = len(hits) < limit
            if allowed:
                hits.append(now)
            oldest = hits[0] if hits else now
            reset_in = max(0.0, oldest + window - now)
            info = {
                "limit": limit,
                "remaining": max(0, limit - len(hits)),
                "reset": reset_in,
                "retry_after": 0 if allowed else max(1, math.ceil(reset_in)),
            }
            return allowed, info

    def clear(self) -> None:
        with self._lock:
            self._hits.clear()
