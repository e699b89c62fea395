"""Sending an email over SMTP (smtplib), with failures turned into typed errors.

Settings come from the app config (``SMTP_*`` in config.py). Every failure becomes a
``MailRejected`` (do not retry) or a ``MailUnavailable`` (retry later); a message is
only "sent" when the server accepted it for every recipient.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage

from flask_babel import gettext as _

from .errors import MailError, MailRejected, MailUnavailable
from .message import build_message

__all__ = [
    "MailError",
    "MailRejected",
    "MailUnavailable",
    "SmtpSettings",
    "build_message",
    "send_message",
]


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to hand mail over; ``from_config`` reads the app's ``SMTP_*`` keys."""

    host: str
    port: int
    username: str = ""
    password: str = field(default="", repr=False)
    starttls: bool = False
    ssl: bool = False
    timeout: float = 10.0

    @classmethod
    def from_config(cls, config: Mapping) -> SmtpSettings:
        """Settings from a Flask config (or any mapping with the ``SMTP_*`` keys)."""
        return cls(
            host=config.get("SMTP_HOST") or "",
            port=int(config.get("SMTP_PORT") or 25),
            username=config.get("SMTP_USERNAME") or "",
            password=config.get("SMTP_PASSWORD") or "",
            starttls=bool(config.get("SMTP_STARTTLS")),
            ssl=bool(config.get("SMTP_SSL")),
            timeout=float(config.get("SMTP_TIMEOUT") or 10),
        )


def send_message(settings: SmtpSettings | Mapping, message: EmailMessage) -> str:
    """Hand ``message`` to the SMTP server; return its Message-ID.

    ``settings`` is an SmtpSettings or the app config. Raises MailRejected or
    MailUnavailable; when it returns, the server accepted every recipient.
    """
    if not isinstance(settings, SmtpSettings):
        settings = SmtpSettings.from_config(settings)
    if not settings.host:
        raise MailUnavailable(_("Sending email is not set up yet (SMTP_HOST is empty)."))
    smtp = None
    try:
        smtp = _connect(settings)
        if settings.starttls:
            smtp.starttls(context=ssl.create_default_context())
        if settings.username:
            smtp.login(settings.username, settings.password)
        refused = smtp.send_message(message)
    except (smtplib.SMTPException, OSError) as exc:
        raise _as_mail_error(exc, settings) from exc
    finally:
        if smtp is not None:
            _quit_quietly(smtp)
    if refused:
        # Some recipients took it, others did not: the caller must not call it sent.
        raise _recipients_refused(refused)
    return message.get("Message-ID", "")


def _connect(settings: SmtpSettings) -> smtplib.SMTP:
    if settings.ssl:
        return smtplib.SMTP_SSL(
            settings.host,
            settings.port,
            timeout=settings.timeout,
            context=ssl.create_default_context(),
        )
    return smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)


def _quit_quietly(smtp: smtplib.SMTP) -> None:
    # Once the server has said 250 to DATA the message is on its way; an odd answer to
    # QUIT must not turn that into a failure (smtplib's own __exit__ would).
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def _recipients_refused(recipients: dict) -> MailError:
    refused = {rcpt: f"{code} {_text(reply)}" for rcpt, (code, reply) in recipients.items()}
    who = ", ".join(refused)
    detail = "; ".join(f"{rcpt}: {answer}" for rcpt, answer in refused.items())
    codes = [code for code, _reply in recipients.values()]
    if any(code >= 500 for code in codes):
        return MailRejected(
            _("The mail server refused the recipient %(who)s. Check the address.", who=who),
            detail=detail,
            code=max(codes),
            refused=refused,
        )
    return MailUnavailable(
        _("The mail server cannot take mail for %(who)s right now. Try again later.", who=who),
        detail=detail,
        code=max(codes),
        refused=refused,
    )


def _as_mail_error(exc: Exception, settings: SmtpSettings) -> MailError:
    """The typed error for what smtplib or the socket raised."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return _recipients_refused(exc.recipients)
    if isinstance(exc, smtplib.SMTPResponseException):
        return _response_error(exc)
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return MailRejected(
            _(
                "The mail server does not offer what the settings ask for (STARTTLS, "
                "sign-in or international addresses). Check the SMTP settings."
            ),
            detail=str(exc),
        )
    if _timed_out(exc):
        return MailUnavailable(
            _(
                "The mail server did not answer within %(seconds)s seconds. Try again later.",
                seconds=f"{settings.timeout:g}",
            ),
            detail=str(exc),
        )
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return MailUnavailable(
            _(
                "The mail server closed the connection before accepting the message. "
                "Try again later."
            ),
            detail=str(exc),
        )
    return MailUnavailable(
        _(
            "Could not reach the mail server %(server)s. Try again later.",
            server=f"{settings.host}:{settings.port}",
        ),
        detail=f"{type(exc).__name__}: {exc}",
    )


def _response_error(exc: smtplib.SMTPResponseException) -> MailError:
    code, detail = exc.smtp_code, f"{exc.smtp_code} {_text(exc.smtp_error)}"
    permanent = code >= 500
    if isinstance(exc, smtplib.SMTPAuthenticationError) and permanent:
        message = _("The mail server refused our sign-in. Check SMTP_USERNAME and SMTP_PASSWORD.")
    elif isinstance(exc, smtplib.SMTPSenderRefused) and permanent:
        message = _(
            "The mail server refused the sender address %(sender)s. Check MAIL_FROM.",
            sender=_text(exc.sender),
        )
    elif permanent:
        message = _("The mail server refused the message.")
    else:
        message = _("The mail server is not accepting mail right now. Try again later.")
    error_class = MailRejected if permanent else MailUnavailable
    return error_class(message, detail=detail, code=code)


def _timed_out(exc: BaseException) -> bool:
    # smtplib wraps a read that timed out in SMTPServerDisconnected; the cause stays.
    return isinstance(exc, TimeoutError) or isinstance(exc.__context__, TimeoutError)
