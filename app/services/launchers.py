"""How a service starts a background job without importing it.

Services sit below jobs: a job imports the service it runs, never the other way round.
A service that must queue work asks for a *launcher* by name; the jobs package hands
each launcher (the job's ``enqueue``) to the app when ``create_app`` wires it
(``app.jobs.wire_jobs``). Tests and other callers may hand over their own callable.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, current_app

_KEY = "renkei.launchers"


def register(app: Flask, name: str, enqueue: Callable[..., object]) -> None:
    """Let services of ``app`` start the job ``name`` by calling ``enqueue``."""
    app.extensions.setdefault(_KEY, {})[name] = enqueue


def launcher(name: str) -> Callable[..., object]:
    """The callable that queues job ``name`` in the current app (RuntimeError if unwired)."""
    launchers = current_app.extensions.get(_KEY, {})
    if name not in launchers:
        raise RuntimeError(f"no launcher {name!r}: create_app wires them (app.jobs.wire_jobs)")
    return launchers[name]


def launch(name: str, *args, **kwargs):
    """Queue job ``name`` with these arguments; returns what its enqueue returns."""
    return launcher(name)(*args, **kwargs)
