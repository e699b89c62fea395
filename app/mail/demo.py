"""The demo's mail goes to a local sink, shown at /sandbox/mail/.

One sink per process (several apps in one process, as in the tests, share it), never
in the watcher process of ``flask run --debug`` (only its serving child holds the port),
and a taken port is logged, not fatal: the console works, mail just has nowhere to go.
"""

from __future__ import annotations

import logging
import os
import threading

from flask import Flask
from werkzeug.serving import is_running_from_reloader

from .sink import MailSink, start_sink
from .views import EXTENSION_KEY, blueprint

log = logging.getLogger(__name__)
_lock = threading.Lock()
_sinks: dict[int, MailSink] = {}  # requested port → running sink, for this process


def install_mail_sink(app: Flask) -> MailSink | None:
    """Start the sink on ``SMTP_PORT`` (once per process) and mount its page; None if not."""
    if _is_reloader_watcher(app):
        log.info("Mail sink: not started in the reloader's watcher process.")
        return None
    port = int(app.config.get("SMTP_PORT") or 0)
    sink = _running_sink(port)
    if sink is None:
        return None
    if port == 0:
        # An ephemeral port (tests): send this app's mail where the sink listens.
        app.config["SMTP_PORT"] = sink.port
    app.extensions[EXTENSION_KEY] = sink
    app.register_blueprint(blueprint)
    return sink


def _running_sink(port: int) -> MailSink | None:
    with _lock:
        sink = _sinks.get(port)
        if sink is not None and sink.running:
            return sink
        try:
            sink = start_sink(port)
        except OSError as exc:
            log.warning(
                "Mail sink: cannot listen on 127.0.0.1:%s (%s); mail sent by the demo "
                "will fail until the port is free.",
                port,
                exc,
            )
            return None
        _sinks[port] = sink
        log.info("Mail sink listening on 127.0.0.1:%s; see /sandbox/mail/", sink.port)
        return sink


def _is_reloader_watcher(app: Flask) -> bool:
    # `flask run --debug` builds the app in the watcher too; its child sets WERKZEUG_RUN_MAIN.
    return (
        os.environ.get("FLASK_RUN_FROM_CLI") == "true"
        and app.debug
        and not is_running_from_reloader()
    )
