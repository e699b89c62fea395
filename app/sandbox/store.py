"""Sandbox state: one thread-safe store per sandbox app, optionally kept in a JSON file.

The console is served threaded, and a demo must keep its sandbox documents across a
restart, so every change happens under one re-entrant lock and, when a path is
given, is written to disk atomically (temporary file + rename) before the lock is
released. Each emulator owns one namespace (a plain JSON-compatible dict).
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


class Store:
    """Namespaced JSON state guarded by a lock; persisted when ``path`` is set."""

    def __init__(self, path: str | os.PathLike | None = None):
        self.path = Path(path) if path else None
        self.lock = threading.RLock()
        self.data: dict = {}
        if self.path and self.path.exists() and self.path.stat().st_size:
            with open(self.path, encoding="utf-8") as fh:
                self.data = json.load(fh)

    def namespace(self, name: str, seed: Callable[[], dict]) -> dict:
        """The dict of ``name``, created from ``seed()`` the first time."""
        with self.lock:
            if name not in self.data:
                self.data[name] = seed()
                self.save()
            return self.data[name]

    def reset(self, name: str, seed: Callable[[], dict]) -> dict:
        """Replace the namespace with a fresh seed (the control API's ``reset``)."""
        with self.lock:
            self.data[name] = seed()
            self.save()
            return self.data[name]

    @contextmanager
    def write(self) -> Iterator[None]:
        """Hold the lock for a change and persist it when the block succeeds."""
        with self.lock:
            yield
            self.save()

    def next_id(self, namespace: dict, kind: str, start: int = 1) -> int:
        """A monotonic integer per kind; never reused, even after deletes."""
        with self.lock:
            seq = namespace.setdefault("seq", {})
            seq[kind] = max(seq.get(kind, start - 1) + 1, start)
            return seq[kind]

    def save(self) -> None:
        if not self.path:
            return
        with self.lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".sandbox-", dir=self.path.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    json.dump(self.data, fh, ensure_ascii=False)
                os.replace(tmp, self.path)
            except BaseException:
                if os.path.exists(tmp):
                    os.unlink(tmp)
                raise
