"""Outgoing mail: build a message, send it over SMTP, typed errors; a local sink for the demo.

- ``build_message`` / ``send_message`` / ``SmtpSettings`` (app/mail/smtp.py)
- ``MailError`` → ``MailRejected`` (do not retry), ``MailUnavailable`` (retry later)
- ``sink.py``: an aiosmtpd SMTP server in a thread that keeps what it receives (demo, tests)
- ``demo.py`` / ``views.py``: the demo starts the sink and shows it at /sandbox/mail/
"""

from .errors import MailError, MailRejected, MailUnavailable
from .message import build_message
from .smtp import SmtpSettings, send_message

__all__ = [
    "MailError",
    "MailRejected",
    "MailUnavailable",
    "SmtpSettings",
    "build_message",
    "send_message",
]
