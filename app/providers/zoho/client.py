"""Zoho Invoice API v3 client: thin calls returning Zoho's JSON objects.

``organization_id`` goes on every call. Our reference travels in ``reference_number``
of invoices and estimates, which the list endpoints filter on exactly: after an
uncertain create (TransientError with ``outcome_unknown``) the sync layer calls
``find_invoice``/``find_estimate`` before creating again. Contacts have no such field;
``find_contact`` looks one up by its (unique in Zoho) ``contact_name``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime

from ..contracts import AccessTokenSource, Timeouts
from ..http import ProviderHTTP
from ..paging import iter_pages
from ..ratelimit import ConnectionThrottle, RateLimiter
from ..retry import RetryPolicy
from ..wire_values import parse_datetime, parse_flag
from . import dialect

ZOHO_TIME = "%Y-%m-%dT%H:%M:%S%z"  # e.g. 2024-05-01T10:00:00+0900


def zoho_time(moment: datetime) -> str:
    """Zoho's time format, e.g. 2024-05-01T10:00:00+0900."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).strftime(ZOHO_TIME)


def parse_zoho_time(text: str | None) -> datetime | None:
    """Read a Zoho time stamp ('2013-11-17T02:17:40-0800', or with a colon in the zone);
    None for a blank one (Zoho writes unset values as " ")."""
    return parse_datetime(text, "last_modified_time", dialect.PROVIDER)


class ZohoInvoiceClient:
    """One Zoho Invoice organisation. Base URL from the data centre, or overridden."""

    provider = dialect.PROVIDER

    def __init__(
        self,
        token_source: AccessTokenSource,
        organization_id: str,
        *,
        dc: str = "com",
        base_url: str | None = None,
        throttle=None,
        retry: RetryPolicy | None = None,
        timeouts: Timeouts | None = None,
        session=None,
        sleep=time.sleep,
    ):
        self.organization_id = organization_id
        self.http = ProviderHTTP(
            dialect.PROVIDER,
            base_url or dialect.api_base(dc),
            token_source=token_source,
            auth_scheme=dialect.AUTH_SCHEME,
            read_error=dialect.read_error,
            check_success=dialect.check_success,
            throttle=throttle,
            retry=retry,
            timeouts=timeouts,
            default_params={"organization_id": organization_id},
            session=session,
            sleep=sleep,
        )

    @classmethod
    def for_connection(
        cls, token_source, organization_id: str, *, limiter: RateLimiter, **kwargs
    ) -> ZohoInvoiceClient:
        """A client sharing the organisation's 100 requests/minute with every worker."""
        key = f"{cls.provider}:{organization_id}"  # Zoho counts per organisation
        throttle = ConnectionThrottle(limiter, key, dialect.BUCKETS)
        return cls(token_source, organization_id, throttle=throttle, **kwargs)

    def _iter(self, path: str, key: str, params: dict | None = None) -> Iterator[dict]:
        def fetch(page: int):
            query = {**(params or {}), "page": page, "per_page": dialect.MAX_PER_PAGE}
            return self.http.get(path, query)

        def more(body, items, page) -> bool:
            more_pages = (body.get("page_context") or {}).get("has_more_page")
            return parse_flag(more_pages, "page_context.has_more_page", dialect.PROVIDER)

        return iter_pages(fetch, key, more)

    def list_organizations(self) -> list[dict]:
        """Organisations the token can reach (to choose ``organization_id`` at connect)."""
        return self.http.get("/organizations").get("organizations") or []

    def list_taxes(self) -> list[dict]:
        """The organisation's taxes (a line names one by ``tax_id``)."""
        return self.http.get("/settings/taxes").get("taxes") or []

    # -- contacts --
    def iter_contacts(self, **filters) -> Iterator[dict]:
        """All contacts; filters e.g. contact_name, search_text."""
        return self._iter("/contacts", "contacts", filters)

    def find_contact(self, contact_name: str) -> dict | None:
        """The contact named exactly ``contact_name``, if any."""
        rows = self.iter_contacts(contact_name=contact_name)
        return next((c for c in rows if c.get("contact_name") == contact_name), None)

    def get_contact(self, contact_id: str) -> dict:
        """One contact."""
        return self.http.get(f"/contacts/{contact_id}")["contact"]

    def create_contact(self, body: dict) -> dict:
        """Create a contact (customer)."""
        return self.http.post("/contacts", body)["contact"]

    def update_contact(self, contact_id: str, body: dict) -> dict:
        """Update a contact."""
        return self.http.put(f"/contacts/{contact_id}", body)["contact"]

    # -- items --
    def iter_items(self, **filters) -> Iterator[dict]:
        """All items."""
        return self._iter("/items", "items", filters)

    def get_item(self, item_id: str) -> dict:
        """One item."""
        return self.http.get(f"/items/{item_id}")["item"]

    def create_item(self, body: dict) -> dict:
        """Create an item."""
        return self.http.post("/items", body)["item"]

    def update_item(self, item_id: str, body: dict) -> dict:
        """Update an item."""
        return self.http.put(f"/items/{item_id}", body)["item"]

    # -- invoices --
    def create_invoice(self, body: dict, reference: str | None = None) -> dict:
        """Create a (draft) invoice; ``reference`` goes in ``reference_number``."""
        if reference:
            body = {**body, "reference_number": reference}
        return self.http.post("/invoices", body)["invoice"]

    def find_invoice(self, reference: str) -> dict | None:
        """The invoice whose ``reference_number`` is our reference, if any."""
        rows = self._iter("/invoices", "invoices", {"reference_number": reference})
        return next((d for d in rows if d.get("reference_number") == reference), None)

    def get_invoice(self, invoice_id: str) -> dict:
        """One invoice with its line items."""
        return self.http.get(f"/invoices/{invoice_id}")["invoice"]

    def get_invoice_pdf(self, invoice_id: str) -> bytes:
        """The invoice as a PDF (``GET /invoices/{id}?accept=pdf``)."""
        path = f"/invoices/{invoice_id}"
        return self.http.download(path, {"accept": "pdf"}, accept="application/pdf")

    def update_invoice(self, invoice_id: str, body: dict) -> dict:
        """Update an invoice."""
        return self.http.put(f"/invoices/{invoice_id}", body)["invoice"]

    def iter_invoices(self, **filters) -> Iterator[dict]:
        """All invoices; filters e.g. customer_id, status, sort_column, sort_order."""
        return self._iter("/invoices", "invoices", filters)

    def iter_invoices_modified_since(self, since: datetime) -> Iterator[dict]:
        """Invoices modified at or after ``since``, oldest change first (status polling).

        Ascending order so that a document modified while we page moves to the end
        instead of shifting pages under us; filtered here again in case the server's
        filter is coarser than ours.
        """
        params = {
            "last_modified_time": zoho_time(since),
            "sort_column": "last_modified_time",
            "sort_order": "A",
        }
        since = since if since.tzinfo else since.replace(tzinfo=UTC)
        for invoice in self._iter("/invoices", "invoices", params):
            moment = parse_zoho_time(invoice.get("last_modified_time"))  # None when blank
            if moment is None or moment >= since:
                yield invoice

    def mark_invoice_sent(self, invoice_id: str) -> dict:
        """Draft → sent without emailing (the customer got it another way)."""
        return self.http.post(f"/invoices/{invoice_id}/status/sent")

    def void_invoice(self, invoice_id: str, reason: str | None = None) -> dict:
        """Void an invoice (optionally saying why)."""
        body = {"reason": reason} if reason else None
        return self.http.post(f"/invoices/{invoice_id}/status/void", body)

    def email_invoice(
        self,
        invoice_id: str,
        to: list[str] | None = None,
        *,
        cc: list[str] | None = None,
        subject: str | None = None,
        body: str | None = None,
    ) -> dict:
        """Have Zoho email the invoice (to the contact's address unless ``to`` is given)."""
        payload = {"to_mail_ids": to, "cc_mail_ids": cc, "subject": subject, "body": body}
        return self.http.post(
            f"/invoices/{invoice_id}/email", {k: v for k, v in payload.items() if v}
        )

    # -- estimates --
    def create_estimate(self, body: dict, reference: str | None = None) -> dict:
        """Create an estimate; ``reference`` goes in ``reference_number``."""
        if reference:
            body = {**body, "reference_number": reference}
        return self.http.post("/estimates", body)["estimate"]

    def find_estimate(self, reference: str) -> dict | None:
        """The estimate whose ``reference_number`` is our reference, if any."""
        rows = self._iter("/estimates", "estimates", {"reference_number": reference})
        return next((d for d in rows if d.get("reference_number") == reference), None)

    def get_estimate(self, estimate_id: str) -> dict:
        """One estimate."""
        return self.http.get(f"/estimates/{estimate_id}")["estimate"]

    def iter_estimates(self, **filters) -> Iterator[dict]:
        """All estimates matching the filters."""
        return self._iter("/estimates", "estimates", filters)
