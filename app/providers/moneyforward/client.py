"""Money Forward Cloud Invoice API v3 client: thin calls returning the provider's JSON.

Our reference (the idempotency key of a create) travels in the document's ``memo`` as
``[renkei:<reference>]``: memo is internal (never printed on the PDF) and is returned
by the list endpoints, so after an uncertain create (TransientError with
``outcome_unknown``) the sync layer calls ``find_billing``/``find_quote`` before trying
again. Partners carry our customer code in ``code``, which ``GET /partners?code=`` finds.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from typing import Any

from ..contracts import AccessTokenSource, Timeouts
from ..http import ProviderHTTP
from ..paging import iter_pages
from ..ratelimit import ConnectionThrottle, RateLimiter
from ..reference_tag import memo_with_reference as _memo_with_reference
from ..reference_tag import reference_tag
from ..retry import RetryPolicy
from ..wire_values import parse_count
from . import dialect

JST = timezone(timedelta(hours=9))
MEMO_MAX = 450


def memo_with_reference(memo: str | None, reference: str | None) -> str | None:
    """``memo`` with our reference tag appended (kept within the 450-character limit)."""
    return _memo_with_reference(memo, reference, MEMO_MAX)


class MoneyForwardClient:
    """One Money Forward connection. Base URL overridable (sandbox)."""

    provider = dialect.PROVIDER

    def __init__(
        self,
        token_source: AccessTokenSource,
        *,
        base_url: str = dialect.API_BASE,
        throttle=None,
        retry: RetryPolicy | None = None,
        timeouts: Timeouts | None = None,
        session=None,
        sleep=time.sleep,
    ):
        self.http = ProviderHTTP(
            dialect.PROVIDER,
            base_url,
            token_source=token_source,
            read_error=dialect.read_error,
            throttle=throttle,
            retry=retry,
            timeouts=timeouts,
            session=session,
            sleep=sleep,
        )

    @classmethod
    def for_connection(
        cls, connection_id: str | int, token_source, *, limiter: RateLimiter, **kwargs
    ) -> MoneyForwardClient:
        """A client whose writes share the 3/second budget with every other worker."""
        throttle = ConnectionThrottle(limiter, f"{cls.provider}:{connection_id}", dialect.BUCKETS)
        return cls(token_source, throttle=throttle, **kwargs)

    # -- paging --
    def _iter(self, path: str, params: dict | None = None, per_page: int = 100) -> Iterator[dict]:
        def fetch(page: int):
            return self.http.get(path, {**(params or {}), "page": page, "per_page": per_page})

        def more(body, items, page) -> bool:
            pagination = body.get("pagination") or {}
            return page < (
                parse_count(pagination.get("total_pages"), "total_pages", self.provider) or 0
            )

        return iter_pages(fetch, "data", more)

    # -- office --
    def get_office(self) -> dict:
        """Our own office (事業者) as Money Forward knows it."""
        return self.http.get("/office")

    def registration_code(self) -> str | None:
        """Our office's qualified-invoice registration number (T + 13 digits), if set."""
        return self.get_office().get("registration_code") or None

    def update_registration_code(self, code: str) -> dict:
        """Set our qualified-invoice registration number."""
        return self.http.put("/office/registration_code", {"registration_code": code})

    # -- partners and departments --
    def iter_partners(self, **filters) -> Iterator[dict]:
        """All partners; filters: name, code, name_kana, partner_pic, office_pic."""
        return self._iter("/partners", filters)

    def list_partners(self, page: int = 1, per_page: int = 100, **filters) -> dict:
        """One page: {"data": [...], "pagination": {...}}."""
        return self.http.get("/partners", {**filters, "page": page, "per_page": per_page})

    def find_partner_by_code(self, code: str) -> dict | None:
        """The partner whose ``code`` is exactly ``code`` (our customer code), if any."""
        return next((p for p in self.iter_partners(code=code) if p.get("code") == code), None)

    def get_partner(self, partner_id: str) -> dict:
        """One partner with its departments."""
        return self.http.get(f"/partners/{partner_id}")

    def create_partner(self, body: dict, reference: str | None = None) -> dict:
        """Create a partner; ``reference`` (≤30 chars) becomes its ``code`` if none given."""
        if reference and not body.get("code"):
            body = {**body, "code": reference}
        return self.http.post("/partners", body)

    def update_partner(self, partner_id: str, body: dict) -> dict:
        """Update a partner's fields."""
        return self.http.put(f"/partners/{partner_id}", body)

    def list_departments(self, partner_id: str) -> list[dict]:
        """Every department of a partner (the endpoint pages only when it must)."""
        first = self.http.get(f"/partners/{partner_id}/departments")
        items = list(first.get("data") or [])
        total = (first.get("pagination") or {}).get("total_pages")
        pages = parse_count(total, "total_pages", self.provider) or 1
        for page in range(2, pages + 1):
            body = self.http.get(f"/partners/{partner_id}/departments", {"page": page})
            items.extend(body.get("data") or [])
        return items

    def create_department(self, partner_id: str, body: dict) -> dict:
        """Add a department (billing address/contact) to a partner."""
        return self.http.post(f"/partners/{partner_id}/departments", body)

    def update_department(self, partner_id: str, department_id: str, body: dict) -> dict:
        """Update a partner's department."""
        return self.http.put(f"/partners/{partner_id}/departments/{department_id}", body)

    # -- items --
    def iter_items(self, **filters) -> Iterator[dict]:
        """All items; filters: name, code."""
        return self._iter("/items", filters)

    def get_item(self, item_id: str) -> dict:
        """One item by id."""
        return self.http.get(f"/items/{item_id}")

    def create_item(self, body: dict) -> dict:
        """Create an item (name and excise are required)."""
        return self.http.post("/items", body)

    def update_item(self, item_id: str, body: dict) -> dict:
        """Update an item."""
        return self.http.put(f"/items/{item_id}", body)

    # -- billings --
    def create_billing(self, body: dict, reference: str | None = None) -> dict:
        """POST /invoice_template_billings (the qualified-invoice format); returns the Billing.

        ``reference`` is tagged into ``memo``; look it up with ``find_billing``.
        """
        if reference:
            body = {**body, "memo": memo_with_reference(body.get("memo"), reference)}
        return self.http.post("/invoice_template_billings", body)

    def get_billing(self, billing_id: str) -> dict:
        """One billing with its items."""
        return self.http.get(f"/billings/{billing_id}")

    def get_billing_pdf(self, billing_id: str) -> bytes:
        """The billing's PDF (its ``pdf_url``, which needs our token like every call)."""
        return self.http.download(f"/billings/{billing_id}.pdf", accept="application/pdf")

    def iter_billings(self, **filters) -> Iterator[dict]:
        """All billings; filters as the spec: range_key, from, to, q, partner_id, ..."""
        return self._iter("/billings", _dates(filters))

    def iter_billings_updated(
        self, since: date | datetime, until: date | datetime | None = None
    ) -> Iterator[dict]:
        """Billings updated from ``since`` to ``until`` (today, JST), whole days inclusive.

        Money Forward has no webhooks: this is how statuses are polled.
        """
        return self._iter("/billings", _range("updated_at", since, until))

    def find_billing(
        self, reference: str, created_since: date | datetime, partner_id: str | None = None
    ) -> dict | None:
        """The billing created since ``created_since`` whose memo carries our reference
        (``partner_id``, when known, keeps the pages to look through few)."""
        tag = reference_tag(reference)
        params = {**_range("created_at", created_since, None), "partner_id": partner_id}
        for billing in self._iter("/billings", params):
            if tag in (billing.get("memo") or ""):
                return billing
        return None

    def update_billing(self, billing_id: str, body: dict) -> dict:
        """Update a billing's header fields."""
        return self.http.put(f"/billings/{billing_id}", body)

    def delete_billing(self, billing_id: str) -> None:
        """Delete a billing."""
        self.http.delete(f"/billings/{billing_id}")

    def update_payment_status(self, billing_id: str, status: str) -> dict:
        """Set 入金ステータス: 'unset'|'unpaid'|'paid' or the codes '0'|'1'|'2'."""
        code = dialect.PAYMENT_STATUS_CODES.get(status, status)
        if code not in ("0", "1", "2"):
            raise ValueError(f"unknown payment status {status!r}")
        return self.http.put(f"/billings/{billing_id}/payment_status", {"payment_status": code})

    # -- quotes --
    def create_quote(self, body: dict, reference: str | None = None) -> dict:
        """POST /quotes; ``reference`` is tagged into ``memo`` (see ``find_quote``)."""
        if reference:
            body = {**body, "memo": memo_with_reference(body.get("memo"), reference)}
        return self.http.post("/quotes", body)

    def get_quote(self, quote_id: str) -> dict:
        """One quote by id."""
        return self.http.get(f"/quotes/{quote_id}")

    def get_quote_pdf(self, quote_id: str) -> bytes:
        """The quote's PDF (its ``pdf_url``, which needs our token)."""
        return self.http.download(f"/quotes/{quote_id}.pdf", accept="application/pdf")

    def iter_quotes(self, **filters) -> Iterator[dict]:
        """All quotes; same filters as billings."""
        return self._iter("/quotes", _dates(filters))

    def find_quote(self, reference: str, created_since: date | datetime) -> dict | None:
        """The quote created since ``created_since`` whose memo carries our reference."""
        tag = reference_tag(reference)
        for quote in self._iter("/quotes", _range("created_at", created_since, None)):
            if tag in (quote.get("memo") or ""):
                return quote
        return None

    def convert_quote_to_billing(self, quote_id: str) -> dict:
        """Create a billing from a quote; returns the new Billing (not idempotent)."""
        return self.http.post(f"/quotes/{quote_id}/convert_to_billing")


def _day(value: date | datetime) -> str:
    if isinstance(value, datetime):
        value = value.astimezone(JST).date() if value.tzinfo else value.date()
    return value.isoformat()


def _range(key: str, since, until) -> dict[str, Any]:
    until = until or datetime.now(JST).date()
    return {"range_key": key, "from": _day(since), "to": _day(until)}


def _dates(filters: dict) -> dict:
    return {k: _day(v) if isinstance(v, date | datetime) else v for k, v in filters.items()}
