"""Walking a provider's pages until the last, whatever its way of saying "more"."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

MAX_PAGES = 10_000  # a server that always says "more" must not loop us forever


def iter_pages(
    fetch: Callable[[int], Any],
    items_key: str,
    has_more: Callable[[Any, list, int], bool],
    *,
    first: int = 1,
    step: int = 1,
) -> Iterator[dict]:
    """Yield every item of every page.

    ``fetch(cursor)`` gets one page (cursor = page number, or offset with ``step``);
    ``has_more(body, items, cursor)`` says whether to go on.
    """
    cursor = first
    for _ in range(MAX_PAGES):
        body = fetch(cursor) or {}
        items = body.get(items_key) or []
        yield from items
        if not items or not has_more(body, items, cursor):
            return
        cursor += step
    raise RuntimeError(f"gave up after {MAX_PAGES} pages of {items_key}")
