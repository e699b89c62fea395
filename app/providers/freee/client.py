"""freee Invoice API (iv) client: invoices, quotations and delivery slips.

The iv API has no partner endpoints: partners are freee Accounting masters, and a
document names one by ``partner_id`` or ``partner_code``. The few partner calls a sync
needs therefore go to the accounting API (``/api/1``, outside the iv spec file; base
URL overridable like the other). ``company_id`` is a query parameter on reads and a
body field on writes, as the specs say.

Our reference travels in ``memo`` (社内メモ, internal) as ``[renkei:<reference>]``; the
list endpoints return memo, so ``find_invoice`` & co. look a document up by it (within a
date range, since freee cannot filter on memo) before an uncertain create is repeated.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from ..contracts import AccessTokenSource, Timeouts
from ..http import ProviderHTTP
from ..paging import iter_pages
from ..ratelimit import ConnectionThrottle, RateLimiter
from ..reference_tag import memo_with_reference as _memo_with_reference
from ..reference_tag import reference_tag
from ..retry import RetryPolicy
from . import dialect

MEMO_MAX = 2000


def memo_with_reference(memo: str | None, reference: str | None) -> str | None:
    """``memo`` with our reference tag appended (within 2,000 characters)."""
    return _memo_with_reference(memo, reference, MEMO_MAX)


@dataclass(frozen=True)
class Kind:
    """One document family of the iv API."""

    path: str  # "/invoices"
    one: str  # JSON key of a single document: "invoice"
    many: str  # JSON key of a list: "invoices"
    date_param: str  # the "from" date filter of the list: "start_billing_date"


INVOICES = Kind("/invoices", "invoice", "invoices", "start_billing_date")
QUOTATIONS = Kind("/quotations", "quotation", "quotations", "start_quotation_date")
DELIVERY_SLIPS = Kind(
    "/delivery_slips", "delivery_slip", "delivery_slips", "start_delivery_slip_date"
)


class FreeeInvoiceClient:
    """One freee company. Base URL overridable (sandbox)."""

    provider = dialect.PROVIDER

    def __init__(
        self,
        token_source: AccessTokenSource,
        company_id: int,
        *,
        base_url: str = dialect.API_BASE,
        accounting_base_url: str = dialect.ACCOUNTING_API_BASE,
        throttle=None,
        retry: RetryPolicy | None = None,
        timeouts: Timeouts | None = None,
        session=None,
        sleep=time.sleep,
    ):
        self.company_id = int(company_id)
        common = dict(
            token_source=token_source,
            read_error=dialect.read_error,
            throttle=throttle,  # one budget: freee counts calls per app, whatever the API
            retry=retry,
            timeouts=timeouts,
            session=session,
            sleep=sleep,
        )
        self.http = ProviderHTTP(dialect.PROVIDER, base_url, **common)
        self.accounting = ProviderHTTP(dialect.PROVIDER, accounting_base_url, **common)

    @classmethod
    def for_connection(
        cls, token_source, company_id: int, *, limiter: RateLimiter, **kwargs
    ) -> FreeeInvoiceClient:
        """A client that obeys freee's published limits and its X-RateLimit-* headers."""
        key = f"{cls.provider}:{company_id}"
        throttle = ConnectionThrottle(limiter, key, dialect.BUCKETS, use_headers=True)
        return cls(token_source, company_id, throttle=throttle, **kwargs)

    # -- generic document calls --
    def create(self, kind: Kind, body: dict, reference: str | None = None) -> dict:
        """POST a document; ``reference`` is tagged into ``memo``."""
        body = {**body, "company_id": self.company_id}
        if reference:
            body["memo"] = memo_with_reference(body.get("memo"), reference)
        return self.http.post(kind.path, body)[kind.one]

    def get(self, kind: Kind, doc_id: int) -> dict:
        """One document by id."""
        return self.http.get(f"{kind.path}/{doc_id}", {"company_id": self.company_id})[kind.one]

    def update(self, kind: Kind, doc_id: int, body: dict) -> dict:
        """PUT the whole document (the spec requires the same fields as a create)."""
        body = {**body, "company_id": self.company_id}
        return self.http.put(f"{kind.path}/{doc_id}", body)[kind.one]

    def cancel(self, kind: Kind, doc_id: int) -> dict:
        """Mark a document cancelled (取消)."""
        return self.http.put(f"{kind.path}/{doc_id}/cancel", {"company_id": self.company_id})

    def uncancel(self, kind: Kind, doc_id: int) -> dict:
        """Undo a cancellation."""
        return self.http.put(f"{kind.path}/{doc_id}/uncancel", {"company_id": self.company_id})

    def iter(self, kind: Kind, **filters) -> Iterator[dict]:
        """Every document matching the spec's list filters (paged by offset/limit)."""

        def fetch(offset: int):
            params = {**filters, "company_id": self.company_id}
            params.update(limit=dialect.MAX_LIMIT, offset=offset)
            return self.http.get(kind.path, _query(params))

        def more(body, items, offset) -> bool:
            return len(items) >= dialect.MAX_LIMIT

        return iter_pages(fetch, kind.many, more, first=0, step=dialect.MAX_LIMIT)

    def find(self, kind: Kind, reference: str, dated_from: date, **filters) -> dict | None:
        """The document dated from ``dated_from`` whose memo carries our reference
        (``filters``, e.g. ``partner_ids``, narrow the listing)."""
        tag = reference_tag(reference)
        for doc in self.iter(kind, **{kind.date_param: dated_from}, **filters):
            if tag in (doc.get("memo") or ""):
                return doc
        return None

    def templates(self, kind: Kind) -> list[dict]:
        """The document templates usable for ``kind``."""
        body = self.http.get(f"{kind.path}/templates", {"company_id": self.company_id})
        return body.get("templates") or []

    # -- partners (accounting API) --
    def iter_partners(self, keyword: str | None = None) -> Iterator[dict]:
        """Every partner of the company (``keyword`` matches name or code)."""

        def fetch(offset: int):
            params = {"company_id": self.company_id, "keyword": keyword}
            params.update(offset=offset, limit=dialect.PARTNERS_LIMIT)
            return self.accounting.get("/partners", params)

        def more(body, items, offset) -> bool:
            return len(items) >= dialect.PARTNERS_LIMIT

        return iter_pages(fetch, "partners", more, first=0, step=dialect.PARTNERS_LIMIT)

    def find_partner_by_code(self, code: str) -> dict | None:
        """The partner whose ``code`` is exactly ``code``, if any."""
        return next((p for p in self.iter_partners(keyword=code) if p.get("code") == code), None)

    def get_partner(self, partner_id: int) -> dict:
        """One partner by id."""
        params = {"company_id": self.company_id}
        return self.accounting.get(f"/partners/{partner_id}", params)["partner"]

    def create_partner(self, body: dict, reference: str | None = None) -> dict:
        """Create a partner; ``reference`` becomes its ``code`` (found by
        ``find_partner_by_code``) unless the body has one."""
        body = {**body, "company_id": self.company_id}
        if reference and not body.get("code"):
            body["code"] = reference
        return self.accounting.post("/partners", body)["partner"]

    def update_partner(self, partner_id: int, body: dict) -> dict:
        """Update a partner (the accounting API's PUT takes the fields to change)."""
        body = {**body, "company_id": self.company_id}
        return self.accounting.put(f"/partners/{partner_id}", body)["partner"]

    # -- items (品目, accounting API) --
    def iter_items(self) -> Iterator[dict]:
        """Every item (品目) of the company, page by page."""

        def fetch(offset: int):
            params = {"company_id": self.company_id, "offset": offset}
            params["limit"] = dialect.PARTNERS_LIMIT
            return self.accounting.get("/items", params)

        def more(body, items, offset) -> bool:
            return len(items) >= dialect.PARTNERS_LIMIT

        return iter_pages(fetch, "items", more, first=0, step=dialect.PARTNERS_LIMIT)

    def create_item(self, body: dict) -> dict:
        """Create an item (品目)."""
        return self.accounting.post("/items", {**body, "company_id": self.company_id})["item"]

    def update_item(self, item_id: int, body: dict) -> dict:
        """Update an item (品目)."""
        body = {**body, "company_id": self.company_id}
        return self.accounting.put(f"/items/{item_id}", body)["item"]

    # -- invoices --
    def create_invoice(self, body: dict, reference: str | None = None) -> dict:
        """Create an invoice (see ``create``)."""
        return self.create(INVOICES, body, reference)

    def get_invoice(self, invoice_id: int) -> dict:
        """One invoice by id."""
        return self.get(INVOICES, invoice_id)

    def update_invoice(self, invoice_id: int, body: dict) -> dict:
        """Replace an invoice (full body)."""
        return self.update(INVOICES, invoice_id, body)

    def cancel_invoice(self, invoice_id: int) -> dict:
        """Cancel an invoice (freee deletes its linked deal)."""
        return self.cancel(INVOICES, invoice_id)

    def iter_invoices(self, **filters) -> Iterator[dict]:
        """Every invoice matching the spec's filters."""
        return self.iter(INVOICES, **filters)

    def find_invoice(
        self, reference: str, billing_date_from: date, partner_id: int | None = None
    ) -> dict | None:
        """The invoice billed from ``billing_date_from`` carrying our reference."""
        filters = {"partner_ids": str(partner_id)} if partner_id is not None else {}
        return self.find(INVOICES, reference, billing_date_from, **filters)

    # -- quotations --
    def create_quotation(self, body: dict, reference: str | None = None) -> dict:
        """Create a quotation (see ``create``)."""
        return self.create(QUOTATIONS, body, reference)

    def get_quotation(self, quotation_id: int) -> dict:
        """One quotation by id."""
        return self.get(QUOTATIONS, quotation_id)

    def update_quotation(self, quotation_id: int, body: dict) -> dict:
        """Replace a quotation (full body)."""
        return self.update(QUOTATIONS, quotation_id, body)

    def iter_quotations(self, **filters) -> Iterator[dict]:
        """Every quotation matching the filters."""
        return self.iter(QUOTATIONS, **filters)

    # -- delivery slips --
    def create_delivery_slip(self, body: dict, reference: str | None = None) -> dict:
        """Create a delivery slip (see ``create``)."""
        return self.create(DELIVERY_SLIPS, body, reference)

    def get_delivery_slip(self, slip_id: int) -> dict:
        """One delivery slip by id."""
        return self.get(DELIVERY_SLIPS, slip_id)

    def update_delivery_slip(self, slip_id: int, body: dict) -> dict:
        """Replace a delivery slip (full body)."""
        return self.update(DELIVERY_SLIPS, slip_id, body)

    def iter_delivery_slips(self, **filters) -> Iterator[dict]:
        """Every delivery slip matching the filters."""
        return self.iter(DELIVERY_SLIPS, **filters)


def _query(params: dict) -> dict:
    """Dates as YYYY-MM-DD and booleans as true/false, the way the spec writes them."""
    out = {}
    for key, value in params.items():
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, date):
            value = value.isoformat()
        out[key] = value
    return out
