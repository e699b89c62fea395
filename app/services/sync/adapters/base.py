"""What the sync engine needs from a provider, in its own words: the adapter contract.

create.py and refresh.py speak only to this class; each provider's adapter (next to
this file) turns these verbs into its client's calls and its mapping's JSON. Adding a
provider means one adapter and one mapping, not another branch in the engine.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from itertools import islice
from typing import TYPE_CHECKING

from app.services.sync.clock import overdue_unless_paid

if TYPE_CHECKING:
    from app.services.sync.lines import InvoiceLines


@dataclass(frozen=True)
class CustomerIds:
    """Which provider record stands for one of our companies (and where bills go)."""

    external_id: str
    department_id: str | None = None  # Money Forward bills a partner's department


@dataclass(frozen=True)
class OutgoingDocument:
    """A Renkei document on its way to a provider."""

    reference: str  # ours, written where the provider keeps a memo/reference
    title: str  # Money Forward title / freee subject / Zoho notes
    number: str | None  # Renkei's number (INV-000123), in an internal memo where there is one
    issue_date: date  # the provider's billing date / invoice date
    due_date: date | None  # the provider's due date; None: issue_date + 30 days
    lines: InvoiceLines  # app.services.sync.lines.InvoiceLines


@dataclass(frozen=True)
class RemoteDocument:
    """A provider's invoice, read into our words (``status`` is our billing status)."""

    external_id: str
    number: str | None
    issue_date: date | None
    due_date: date | None
    total: Decimal | None
    payment_status: str | None  # the provider's own word, shown as is
    status: str
    url: str | None
    # Tax per rate code as the provider answered it; None when the answer does not say
    # (a list page). Compared with Renkei's by app/services/sync/agreement.py.
    taxes: dict[str, Decimal] | None = None
    # Our reference as found on the provider's document (memo tag, Zoho reference_number).
    reference: str | None = None
    # What the provider reports as paid so far, and when, where it reports it: Zoho
    # (payment_made or total − balance; last_payment_date). Money Forward and freee only
    # report a payment status word, so these stay None there.
    paid_amount: Decimal | None = None
    paid_on: date | None = None


@dataclass
class ChangeFeed:
    """The answer of a whole pull: the documents that may have changed, page by page.

    ``complete_from`` is set when the provider cannot filter by change time and the
    adapter listed *every* document dated from that day instead: a document of ours
    dated then or later that was not listed may have been deleted there.
    """

    documents: Iterator[RemoteDocument]
    complete_from: date | None = None
    seen: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class OpenDocument:
    """One of our documents a pull should look at (enough to choose a listing window)."""

    external_id: str
    issue_date: date | None


@dataclass(frozen=True)
class DocumentFile:
    """A document's file fetched from the provider with our token, to hand on as is."""

    content: bytes
    filename: str
    mimetype: str = "application/pdf"


@dataclass(frozen=True)
class RemotePerson:
    """A person at the provider (MF department, Zoho contact person) in our words."""

    external_id: str
    name: str
    department: str | None = None
    title: str | None = None
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class RemoteCustomer:
    """A provider's customer record in our company's words (``raw``: as answered)."""

    external_id: str
    department_id: str | None
    code: str | None
    name: str
    kana: str | None
    postal_code: str | None
    prefecture: str | None
    address1: str | None
    address2: str | None
    phone: str | None
    email: str | None
    registration_number: str | None
    updated_at: datetime | None  # the provider's own stamp, aware
    persons: tuple[RemotePerson, ...] = ()
    individual: bool = False  # a person without company (Zoho individual contact)
    raw: dict = field(default_factory=dict, compare=False, hash=False)

    @classmethod
    def of(cls, fields: dict, raw: dict) -> RemoteCustomer:
        persons = tuple(RemotePerson(**p) for p in fields.pop("persons", ()))
        return cls(**fields, persons=persons, raw=raw)

    @property
    def ids(self) -> CustomerIds:
        return CustomerIds(self.external_id, self.department_id)


@dataclass(frozen=True)
class RemoteItem:
    """A provider's item in our product's words (None: the provider has no such field)."""

    external_id: str
    name: str
    code: str | None
    unit: str | None
    price: Decimal | None
    tax_rate: str | None
    updated_at: datetime | None


def browsable(url: str | None) -> bool:
    """Whether ``url`` is one a person's browser can be sent to (http or https)."""
    return bool(url) and url.lower().startswith(("https://", "http://"))


def pdf_filename(kind: str, number: str | None, external_id: str) -> str:
    """A plain file name for a document's PDF: ``invoice-INV-000123.pdf``."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", number or external_id).strip("._") or "document"
    return f"{kind}-{stem}.pdf"


class ProviderAdapter:
    """Base of the per-provider adapters; ``mapping`` is the provider's mapping module."""

    provider = ""
    mapping = None
    # Whether the provider allows one customer per name (Zoho): a record there with our
    # company's exact name is ours, as a match on our code would be.
    unique_customer_names = False
    # Whether Renkei may tell the provider that an invoice was paid (push_payment_status).
    supports_payment_push: bool = False
    # Whether the provider's API can void an invoice (stage automation on lost).
    supports_void: bool = False

    def __init__(self, client, today: date):
        self.client = client
        self.today = today

    # -- customers --
    @classmethod
    def company_problems(cls, company) -> list[str]:
        """Keys of what the provider would refuse about ``company`` ("name", "postal_code")."""
        return cls.mapping.company_problems(company)

    @classmethod
    def fingerprint(cls, company) -> str:
        """A hash of what we push for ``company``."""
        return cls.mapping.fingerprint(company)

    def adopt_customer(self, company) -> CustomerIds | None:
        """The provider's record of ``company`` made by an earlier attempt, brought up to
        date; None when there is none."""
        raise NotImplementedError

    def create_customer(self, company) -> CustomerIds:
        """Create ``company`` at the provider."""
        raise NotImplementedError

    def update_customer(self, ids: CustomerIds, company) -> None:
        """Push ``company``'s current details onto its provider record."""
        raise NotImplementedError

    # -- customer sync (app/services/sync/customers.py) --
    def base_currency(self) -> str:
        """The currency the provider's books are kept in."""
        return "JPY"

    def iter_customers(self, since: datetime | None = None) -> Iterator[RemoteCustomer]:
        """The provider's customers changed since ``since`` where the API can filter
        (else every one), page by page."""
        raise NotImplementedError

    def search_customers(self, text: str, limit: int = 20) -> list[RemoteCustomer]:
        """Customers whose name contains ``text`` (a person's search)."""
        raise NotImplementedError

    def get_customer(self, external_id: str) -> RemoteCustomer:
        """One customer by id."""
        raise NotImplementedError

    def create_customer_from(self, company, extra: dict) -> RemoteCustomer:
        """Create ``company`` (with mapped ``extra`` fields) and answer it."""
        raise NotImplementedError

    def push_customer(self, ids: CustomerIds, company, extra: dict) -> datetime | None:
        """Update the provider's record from ``company``; its new updated-at."""
        raise NotImplementedError

    def read_field(self, remote: RemoteCustomer, theirs: str):
        """A mapped provider field's value on ``remote``."""
        return remote.raw.get(theirs)

    supports_persons: bool = False

    def push_person(self, ids: CustomerIds, person_id: str | None, contact) -> str:
        """Create (``person_id`` None) or update a contact person; its id."""
        raise NotImplementedError(f"{self.provider} keeps no contact persons")

    def iter_items(self, since: datetime | None = None) -> Iterator[RemoteItem]:
        """The provider's items (changed since ``since`` where it can filter)."""
        raise NotImplementedError

    def create_item(self, product) -> RemoteItem:
        """Create ``product`` as an item."""
        raise NotImplementedError

    def update_item(self, external_id: str, product) -> RemoteItem:
        """Push ``product`` onto its item."""
        raise NotImplementedError

    # -- invoices --
    def find_invoice(
        self, reference: str, created_at: datetime | None, customer: CustomerIds | None = None
    ) -> RemoteDocument | None:
        """The invoice carrying our ``reference``, if an earlier attempt made it
        (``customer``, when known, narrows the search)."""
        raise NotImplementedError

    def create_invoice(self, outgoing: OutgoingDocument, customer: CustomerIds) -> RemoteDocument:
        """Create ``outgoing`` at the provider for ``customer``, carrying its reference,
        dates, title and exact lines."""
        raise NotImplementedError

    def customer_invoices(self, customer: CustomerIds, limit: int = 50) -> list[RemoteDocument]:
        """Up to ``limit`` of ``customer``'s invoices at the provider, newest first, for a
        person to choose the one to link (list answers: ``taxes`` may be None)."""
        return [self.remote(raw) for raw in islice(self.iter_customer_invoices(customer), limit)]

    def iter_customer_invoices(self, customer: CustomerIds) -> Iterator[dict]:
        """The provider's raw invoices of ``customer``, newest first (paged lazily)."""
        raise NotImplementedError

    def push_payment_status(self, external_id: str, paid: bool) -> RemoteDocument | None:
        """Tell the provider the invoice is paid (or unpaid again); the document as it
        answers. Only where ``supports_payment_push``."""
        raise NotImplementedError(f"{self.provider} takes no payment status from Renkei")

    def sent_to_customer(self, external_id: str) -> bool:
        """Whether the provider says the invoice went to the customer (emailed, posted,
        marked sent): stage automation leaves such an invoice as it is."""
        raise NotImplementedError

    def void_invoice(self, external_id: str) -> RemoteDocument | None:
        """Void the invoice at the provider; the document as it answers (None: no body).
        Only where ``supports_void``."""
        raise NotImplementedError(f"{self.provider} cannot void an invoice through its API")

    def get_invoice(self, external_id: str) -> RemoteDocument:
        """One invoice (NotFoundError when deleted at the provider)."""
        raise NotImplementedError

    def changes(self, since: datetime, open_documents: Iterable[OpenDocument]) -> ChangeFeed:
        """Invoices changed since ``since`` (UTC), as few calls as the provider allows."""
        raise NotImplementedError

    def open_document(
        self, kind: str, external_id: str, number: str | None, url: str | None
    ) -> str | DocumentFile | None:
        """What opens the document for a person: the provider's own page for it (a URL
        their browser can open), else its PDF fetched with our token; None when the
        provider offers neither. ``url`` is the link we kept; without one the document
        is read again for a fresh one."""
        if browsable(url):
            return url
        fresh = self.get_invoice(external_id).url
        if browsable(fresh):
            return fresh
        content = self.document_pdf(kind, external_id)
        if content is None:
            return None
        return DocumentFile(content, pdf_filename(kind, number, external_id))

    def document_pdf(self, kind: str, external_id: str) -> bytes | None:
        """The document's PDF; None for a provider that serves none."""
        return None

    # -- shared --
    def remote(self, raw: dict) -> RemoteDocument:
        """A provider document in our words; unpaid past its due date (Tokyo) is overdue."""
        fields = self.mapping.remote_fields(raw)
        fields["status"] = overdue_unless_paid(fields["status"], fields["due_date"], self.today)
        return RemoteDocument(**fields, taxes=self.mapping.answered_taxes(raw))
