"""Keep secrets out of logs and error messages.

Two layers, because neither alone is enough: known values (the tokens and client
secret a caller holds) are replaced wherever they appear, and anything that *looks*
like a credential (a bearer header, ``access_token=...``) is masked even when we did
not know its value — a provider may echo a token we never saw.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

MASK = "[redacted]"

# Query or form parameter names whose values are credentials or one-time codes.
SENSITIVE_NAMES = re.compile(
    r"(token|secret|password|passwd|code|authorization|api[_-]?key|assertion|verifier)",
    re.IGNORECASE,
)

_PATTERNS = [
    # Authorization header values: "Bearer abc", "Zoho-oauthtoken 1000.abc", "Basic abc".
    re.compile(r"(?i)\b(bearer|zoho-oauthtoken|basic)\s+[A-Za-z0-9._~+/=-]+"),
    # key=value and "key": "value" forms for credential-like keys.
    re.compile(
        r"(?i)([\"']?\b[a-z_]*(?:token|secret|password|code|verifier)[\"']?\s*[:=]\s*[\"']?)"
        r"[^\"'&\s,}]+"
    ),
]


def scrub(text: str, secrets: Iterable[str | None] = ()) -> str:
    """``text`` with known secret values and credential-looking fragments masked."""
    if not text:
        return text
    for value in secrets:
        if value and len(value) >= 4:  # masking "a" everywhere would garble messages
            text = text.replace(value, MASK)
    text = _PATTERNS[0].sub(lambda m: f"{m.group(1)} {MASK}", text)
    return _PATTERNS[1].sub(lambda m: f"{m.group(1)}{MASK}", text)


def safe_params(params: dict | None) -> dict:
    """A copy of query parameters fit for a log line (credential-like names masked)."""
    if not params:
        return {}
    return {k: (MASK if SENSITIVE_NAMES.search(str(k)) else v) for k, v in params.items()}


class ScrubFilter(logging.Filter):
    """Rewrites a record's message with secrets masked (third-party debug logs print
    token request bodies and headers verbatim)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Mask secrets in the record, then let it through."""
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is not ours to fix, but never leak it
            message = str(record.msg)
        record.msg, record.args = scrub(message), ()
        return True


_FILTER = ScrubFilter()


def scrub_library_logs(prefixes=("requests_oauthlib", "oauthlib", "urllib3")) -> None:
    """Attach the scrubbing filter to the loggers of libraries that log credentials.

    Filters on a parent logger do not see records of its children, so every existing
    logger under each prefix gets it (call after importing the library).
    """
    manager = logging.root.manager
    for name in [*prefixes, *list(manager.loggerDict)]:
        if name.startswith(tuple(prefixes)):
            logger = logging.getLogger(name)
            if _FILTER not in logger.filters:
                logger.addFilter(_FILTER)
