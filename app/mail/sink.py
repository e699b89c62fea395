"""A local SMTP server that keeps every message it receives: the demo's and the tests' inbox.

Built on aiosmtpd: its Controller runs the server's event loop in a background thread.
Messages are kept in memory only (a restart empties the sink). ``fail_next`` makes the
next message(s) fail the way real servers do, for tests of retries.
"""

from __future__ import annotations

import asyncio
import email
import threading
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

# aiosmtpd itself sets the deprecated attribute on every successful AUTH.
warnings.filterwarnings(
    "ignore", message="Session.login_data is deprecated", category=DeprecationWarning
)

FAILURES = {
    "reject": "550 5.1.1 Recipient refused (sink: reject)",
    "tempfail": "451 4.3.0 Try again later (sink: tempfail)",
    "drop": None,  # no answer at all: the connection is cut
}


@dataclass(frozen=True)
class ReceivedMessage:
    """One message as the sink got it: envelope, raw bytes, subject, when (UTC)."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    raw: bytes
    subject: str
    received_at: datetime
    parsed: EmailMessage = field(repr=False, compare=False)

    @property
    def attachment_names(self) -> list[str]:
        """The file names of the message's attachments, decoded."""
        return [part.get_filename() or "" for part in self.parsed.iter_attachments()]


def _parse(raw: bytes) -> EmailMessage:
    return email.message_from_bytes(raw, policy=policy.default)


class _Handler:
    """aiosmtpd hooks: refuse as told, otherwise keep the message."""

    def __init__(self, sink: MailSink):
        self.sink = sink

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        # A failure is taken once per message and applies to all its recipients.
        if not hasattr(envelope, "sink_failure"):
            envelope.sink_failure = self.sink._take_failure()
        if envelope.sink_failure == "drop":
            server.transport.abort()
            await asyncio.sleep(3600)  # cancelled as soon as the connection is gone
        if envelope.sink_failure:
            return FAILURES[envelope.sink_failure]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        parsed = _parse(raw)
        self.sink._keep(
            ReceivedMessage(
                mail_from=envelope.mail_from,
                rcpt_tos=tuple(envelope.rcpt_tos),
                raw=raw,
                subject=str(parsed.get("Subject", "")),
                received_at=datetime.now(UTC),
                parsed=parsed,
            )
        )
        return "250 Message accepted for delivery"


def _any_login(server, session, envelope, mechanism, auth_data) -> AuthResult:
    # The sink accepts any user name and password, so SMTP_USERNAME may be set in a demo.
    return AuthResult(success=True)


class _Controller(Controller):
    def _trigger_server(self):
        # Port 0 asks the OS for a free port: learn which before connecting to it.
        if self.port == 0:
            self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class MailSink:
    """An SMTP server on ``host``:``port`` in a background thread, keeping what it receives."""

    def __init__(self, port: int = 0, host: str = "127.0.0.1"):
        self.host = host
        self.port = port
        self._lock = threading.Lock()
        self._messages: list[ReceivedMessage] = []
        self._failures: list[str] = []
        self._controller: _Controller | None = None

    @property
    def running(self) -> bool:
        """Whether the server is listening."""
        return self._controller is not None

    def start(self) -> MailSink:
        """Listen; raises OSError when the port is taken."""
        controller = _Controller(
            _Handler(self),
            hostname=self.host,
            port=self.port,
            server_hostname="renkei-sink",  # not socket.getfqdn(): that may wait for DNS
            authenticator=_any_login,
            auth_require_tls=False,
        )
        try:
            controller.start()
        except BaseException:
            controller.loop.close()
            raise
        self.port = controller.port
        self._controller = controller
        return self

    def stop(self) -> None:
        """Stop listening; the received messages stay readable."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def messages(self) -> list[ReceivedMessage]:
        """Every message received so far, oldest first (a copy)."""
        with self._lock:
            return list(self._messages)

    def clear(self) -> None:
        """Forget the received messages and any failures still planned."""
        with self._lock:
            self._messages.clear()
            self._failures.clear()

    def fail_next(self, kind: str, count: int = 1) -> None:
        """Make the next ``count`` messages fail: "reject" (550), "tempfail" (451), "drop"."""
        if kind not in FAILURES:
            raise ValueError(f"kind must be one of {', '.join(FAILURES)}, not {kind!r}")
        with self._lock:
            self._failures.extend([kind] * count)

    def _take_failure(self) -> str | None:
        with self._lock:
            return self._failures.pop(0) if self._failures else None

    def _keep(self, message: ReceivedMessage) -> None:
        with self._lock:
            self._messages.append(message)

    def __enter__(self) -> MailSink:
        return self if self.running else self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def start_sink(port: int = 0, host: str = "127.0.0.1") -> MailSink:
    """Start a sink on ``host``:``port`` (0: any free port, see ``.port``); return it."""
    return MailSink(port, host).start()
