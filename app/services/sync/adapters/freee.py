"""freee 請求書: partners (accounting API) by code, invoices listed by billing date.

A person opens an invoice at freee by its ``report_url`` (帳票詳細ページ, always in
freee's answers); the iv API has no PDF endpoint.

freee's invoice list filters on dates and statuses but not on change time. Only two
things change one of our open invoices there (mapping.py: no draft stage): it is paid
(決済済み, ``payment_status=settled``) or cancelled (``cancel_status=canceled``). So a
pull lists just those, billed since the oldest of our open invoices there — not every
invoice of the window, which at 100 a page and 30 calls a minute made a pull of 10,000
open invoices 100 calls that freee's limit spread over minutes (tests/bench
one_document_pull). The price: the list is not complete, so a whole pull no longer
notices an invoice that disappeared at freee (the iv API cannot delete one; its web
page can); refreshing the deal (a GET per invoice) still does.
"""

from __future__ import annotations

from datetime import timedelta
from itertools import chain, islice

from app.providers.freee import ENTRY, mapping
from app.providers.freee import customers as cmap
from app.services.sync.adapters.base import (
    ChangeFeed,
    CustomerIds,
    ProviderAdapter,
    RemoteCustomer,
    RemoteItem,
)
from app.services.sync.clock import business_day_of


class FreeeAdapter(ProviderAdapter):
    """Partner ids and invoice ids are integers at freee; we keep them as text."""

    provider = ENTRY.key
    mapping = mapping

    def adopt_customer(self, company):
        partner = self.client.find_partner_by_code(company.code[:30])
        if partner is None:
            return None
        ids = CustomerIds(mapping.partner_id(partner))
        self.update_customer(ids, company)
        return ids

    def create_customer(self, company):
        partner = self.client.create_partner(mapping.partner_body(company))
        return CustomerIds(mapping.partner_id(partner))

    def update_customer(self, ids, company):
        self.client.update_partner(int(ids.external_id), mapping.partner_body(company))

    # -- customer sync (no contact persons at freee) --
    def _remote(self, partner):
        return RemoteCustomer.of(cmap.customer_fields(partner), partner)

    def iter_customers(self, since=None):
        return (self._remote(p) for p in self.client.iter_partners())

    def search_customers(self, text, limit=20):
        return [self._remote(p) for p in islice(self.client.iter_partners(keyword=text), limit)]

    def get_customer(self, external_id):
        return self._remote(self.client.get_partner(int(external_id)))

    def create_customer_from(self, company, extra):
        body = {**mapping.partner_body(company), **extra}
        return self._remote(self.client.create_partner(body))

    def push_customer(self, ids, company, extra):
        body = {**mapping.partner_body(company), **extra}
        return self._remote(self.client.update_partner(int(ids.external_id), body)).updated_at

    def iter_items(self, since=None):
        return (RemoteItem(**cmap.item_fields(i)) for i in self.client.iter_items())

    def create_item(self, product):
        return RemoteItem(**cmap.item_fields(self.client.create_item(cmap.item_body(product))))

    def update_item(self, external_id, product):
        item = self.client.update_item(int(external_id), cmap.item_body(product))
        return RemoteItem(**cmap.item_fields(item))

    def find_invoice(self, reference, created_at, customer=None):
        # freee cannot filter on memo: list the partner's invoices from the day before
        # ours was dated, newest first.
        day = business_day_of(created_at) or self.today
        partner_id = int(customer.external_id) if customer else None
        invoice = self.client.find_invoice(reference, day - timedelta(days=1), partner_id)
        return self.remote(invoice) if invoice else None

    def create_invoice(self, outgoing, customer):
        body = mapping.invoice_body(int(customer.external_id), outgoing)
        return self.remote(self.client.create_invoice(body, reference=outgoing.reference))

    def iter_customer_invoices(self, customer):
        # freee lists newest first; partner_ids takes a comma-separated list.
        return self.client.iter_invoices(partner_ids=str(int(customer.external_id)))

    supports_void = True

    def sent_to_customer(self, external_id):
        # 送付ステータス: sent (送付済み) or unsent (送付待ち).
        return self.client.get_invoice(int(external_id)).get("sending_status") == "sent"

    def void_invoice(self, external_id):
        # PUT /invoices/{id}/cancel (取消): the answer holds the cancel status only.
        self.client.cancel_invoice(int(external_id))
        return self.get_invoice(external_id)

    def get_invoice(self, external_id):
        return self.remote(self.client.get_invoice(int(external_id)))

    def changes(self, since, open_documents):
        days = [d.issue_date for d in open_documents if d.issue_date is not None]
        if not days:
            return ChangeFeed(iter(()))
        start = min(days)
        paid = self.client.iter_invoices(start_billing_date=start, payment_status="settled")
        void = self.client.iter_invoices(start_billing_date=start, cancel_status="canceled")
        return ChangeFeed(self.remote(i) for i in chain(paid, void))
