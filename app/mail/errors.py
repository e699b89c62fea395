"""What can go wrong sending mail, one class per kind, in the manner of app/providers/errors.

Callers decide by class (or ``should_retry``), never by parsing text. ``message`` is
written for a back-office person (translated with Flask-Babel when raised); ``detail``
keeps the server's own words for whoever looks into it.
"""

from __future__ import annotations


class MailError(Exception):
    """Base class: the message was not handed over to the mail server."""

    should_retry = False

    def __init__(
        self,
        message: str,
        *,
        detail: str = "",
        code: int | None = None,
        refused: dict[str, str] | None = None,
    ):
        self.message = message
        self.detail = detail  # the server's technical text, e.g. "550 5.1.1 no such user"
        self.code = code  # the SMTP reply code, when there was one
        self.refused = refused or {}  # recipient → server's answer, for refused recipients
        super().__init__(message)

    def __str__(self) -> str:
        return f"{self.message} ({self.detail})" if self.detail else self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"


class MailRejected(MailError):
    """The server refused for good (5xx, a recipient, our sign-in): retrying will not help."""


class MailUnavailable(MailError):
    """The server could not be reached, timed out, or said "later" (4xx): retry later."""

    should_retry = True
