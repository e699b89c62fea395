"""Our reference inside a provider's internal memo: ``[renkei:<reference>]``.

Money Forward and freee have no field of their own for an outside reference, so the
reference of a create rides in the document's internal memo (社内メモ, never printed).
Written by the clients, read back by the mappings (``RemoteDocument.reference``).
"""

from __future__ import annotations

import re

_TAG = re.compile(r"\[renkei:([^\]\s]+)\]")


def reference_tag(reference: str) -> str:
    """The marker that carries our reference in ``memo``."""
    return f"[renkei:{reference}]"


def memo_with_reference(memo: str | None, reference: str | None, limit: int) -> str | None:
    """``memo`` with our reference tag appended, the whole within ``limit`` characters."""
    if not reference:
        return memo
    tag = reference_tag(reference)
    text = (memo or "").strip()
    return f"{text[: limit - len(tag) - 1]}\n{tag}" if text else tag


def reference_in(memo) -> str | None:
    """The reference tagged in ``memo`` (the last one, if a person copied a memo), or None."""
    if not isinstance(memo, str):
        return None
    found = _TAG.findall(memo)
    return found[-1] if found else None
