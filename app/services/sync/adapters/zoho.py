"""Zoho Invoice: contacts found by their unique name, invoices by reference_number."""

from __future__ import annotations

from datetime import UTC
from itertools import islice

from flask_babel import gettext as _

from app.providers.errors import ValidationError
from app.providers.zoho import ENTRY, mapping
from app.providers.zoho import customers as cmap
from app.providers.zoho.client import zoho_time
from app.providers.zoho.customers import read_field
from app.services.sync import agreement
from app.services.sync.adapters.base import (
    ChangeFeed,
    CustomerIds,
    ProviderAdapter,
    RemoteCustomer,
    RemoteItem,
)


class ZohoAdapter(ProviderAdapter):
    """Zoho filters invoices on reference_number and last_modified_time: both exact."""

    provider = ENTRY.key
    mapping = mapping
    unique_customer_names = True  # Zoho refuses a second contact of the same name

    def adopt_customer(self, company):
        contact = self.client.find_contact(mapping.contact_body(company)["contact_name"])
        if contact is None:
            return None
        ids = CustomerIds(mapping.contact_id(contact))
        self.update_customer(ids, company)
        return ids

    def create_customer(self, company):
        contact = self.client.create_contact(mapping.contact_body(company))
        return CustomerIds(mapping.contact_id(contact))

    def update_customer(self, ids, company):
        self.client.update_contact(ids.external_id, mapping.contact_body(company))

    # -- customer sync --
    supports_persons = True

    def _remote(self, contact):
        return RemoteCustomer.of(cmap.customer_fields(contact), contact)

    def base_currency(self):
        # GET /organizations: the organisation we are connected to, its currency_code.
        organizations = self.client.list_organizations()
        mine = [
            o
            for o in organizations
            if str(o.get("organization_id")) == str(self.client.organization_id)
        ]
        chosen = mine or organizations
        return (chosen[0].get("currency_code") if chosen else None) or "JPY"

    def iter_customers(self, since=None):
        filters = {"sort_column": "last_modified_time", "sort_order": "A"}
        if since is not None:
            filters["last_modified_time"] = zoho_time(
                since if since.tzinfo else since.replace(tzinfo=UTC)
            )
        return (self._remote(c) for c in self.client.iter_contacts(**filters))

    def search_customers(self, text, limit=20):
        found = self.client.iter_contacts(search_text=text)
        return [self._remote(c) for c in islice(found, limit)]

    def get_customer(self, external_id):
        return self._remote(self.client.get_contact(external_id))

    def create_customer_from(self, company, extra):
        body = cmap.merge_extra(mapping.contact_body(company), extra)
        return self._remote(self.client.create_contact(body))

    def push_customer(self, ids, company, extra):
        body = cmap.merge_extra(mapping.contact_body(company), extra)
        return self._remote(self.client.update_contact(ids.external_id, body)).updated_at

    def read_field(self, remote, theirs):
        return read_field(remote.raw, theirs)

    def push_person(self, ids, person_id, contact):
        # The sandbox and the v3 contact keep persons in the contact's contact_persons:
        # ours replaces the one with the same key (id or email), others are kept.
        current = self.client.get_contact(ids.external_id)
        persons = list(current.get("contact_persons") or [])
        body = cmap.person_body(contact)
        key = person_id or contact.email or contact.name
        kept = [p for p in persons if cmap.person_fields(p)["external_id"] != key]
        self.client.update_contact(ids.external_id, {"contact_persons": [*kept, body]})
        return cmap.person_fields(body)["external_id"]

    def iter_items(self, since=None):
        filters = {}
        if since is not None:
            filters["last_modified_time"] = zoho_time(
                since if since.tzinfo else since.replace(tzinfo=UTC)
            )
        return (RemoteItem(**cmap.item_fields(i)) for i in self.client.iter_items(**filters))

    def create_item(self, product):
        body = cmap.item_body(product, mapping.tax_ids(self.client.list_taxes()))
        return RemoteItem(**cmap.item_fields(self.client.create_item(body)))

    def update_item(self, external_id, product):
        body = cmap.item_body(product, mapping.tax_ids(self.client.list_taxes()))
        return RemoteItem(**cmap.item_fields(self.client.update_item(external_id, body)))

    def find_invoice(self, reference, created_at, customer=None):
        invoice = self.client.find_invoice(reference)
        return self.remote(invoice) if invoice else None

    def create_invoice(self, outgoing, customer):
        lines = outgoing.lines
        taxes = mapping.tax_ids(self.client.list_taxes())
        missing = sorted({line.tax_rate for line in lines} - set(taxes))
        if missing:
            percents = ", ".join(f"{mapping.PERCENT_BY_TAX_RATE[code]}%" for code in missing)
            raise ValidationError(
                _("Zoho Invoice has no tax of %(rates)s set up.", rates=percents),
                provider=self.provider,
            )
        refused = agreement.refusal("Zoho Invoice", lines, mapping.TAX_ROUNDING)
        if refused:
            raise ValidationError(refused, provider=self.provider)
        body = mapping.invoice_body(customer.external_id, outgoing, taxes)
        return self.remote(self.client.create_invoice(body, reference=outgoing.reference))

    def iter_customer_invoices(self, customer):
        params = {"customer_id": customer.external_id, "sort_column": "date", "sort_order": "D"}
        return self.client.iter_invoices(**params)

    supports_void = True
    # Zoho's statuses before an invoice goes out (sent, viewed, … come after).
    UNSENT = ("draft", "pending_approval", "approved")

    def sent_to_customer(self, external_id):
        return self.client.get_invoice(external_id).get("status") not in self.UNSENT

    def void_invoice(self, external_id):
        # POST /invoices/{id}/status/void answers a message only: read the invoice again.
        self.client.void_invoice(external_id)
        return self.get_invoice(external_id)

    def get_invoice(self, external_id):
        return self.remote(self.client.get_invoice(external_id))

    def changes(self, since, open_documents):
        moment = since if since.tzinfo else since.replace(tzinfo=UTC)
        invoices = self.client.iter_invoices_modified_since(moment)
        return ChangeFeed(self.remote(invoice) for invoice in invoices)

    def document_pdf(self, kind, external_id):
        # Used only when the invoice carries no invoice_url (Zoho's own page for it).
        return self.client.get_invoice_pdf(external_id)
