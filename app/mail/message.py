"""Building the email a document goes out in: UTF-8 throughout, attachments by name."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

# Without a domain in the sender, make_msgid would ask DNS for this host's name.
FALLBACK_MSGID_DOMAIN = "renkei.invalid"


def build_message(
    sender: str,
    to: str | Sequence[str],
    subject: str,
    body_text: str,
    attachments: Iterable[tuple[str, bytes, str]] = (),
) -> EmailMessage:
    """A plain-text email with ``attachments`` as (filename, bytes, mimetype); has a Message-ID.

    Headers are encoded per RFC 2047 and attachment filenames per RFC 2231 when they are
    not ASCII, so Japanese subjects, bodies and file names arrive intact.
    """
    # policy.default (EmailMessage's) refuses CR/LF in header values: no header injection.
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to if isinstance(to, str) else ", ".join(to)
    message["Subject"] = subject
    message["Date"] = format_datetime(datetime.now(UTC))
    domain = parseaddr(sender)[1].rpartition("@")[2] or FALLBACK_MSGID_DOMAIN
    message["Message-ID"] = make_msgid(domain=domain)
    # Non-ASCII text as base64 keeps the message 7-bit: no relay can mangle it.
    message.set_content(body_text, charset="utf-8", cte=None if body_text.isascii() else "base64")
    for filename, data, mimetype in attachments:
        maintype, _, subtype = (mimetype or "application/octet-stream").partition("/")
        message.add_attachment(
            data, maintype=maintype, subtype=subtype or "octet-stream", filename=filename
        )
    if message.is_multipart():
        # Fixed now, not at each flattening: the same bytes go out on every retry. "=_"
        # cannot occur in base64, the parts' encoding.
        message.set_boundary(f"=_renkei_{secrets.token_hex(16)}")
    return message
