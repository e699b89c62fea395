"""Money Forward クラウド請求書: partner + department, billings found by memo tag."""

from __future__ import annotations

from datetime import timedelta
from itertools import islice

from app.models.crm import utcnow
from app.providers.moneyforward import ENTRY, mapping
from app.providers.moneyforward import customers as cmap
from app.providers.wire_values import parse_datetime
from app.services.sync.adapters.base import (
    ChangeFeed,
    CustomerIds,
    DocumentFile,
    ProviderAdapter,
    RemoteCustomer,
    RemoteItem,
    pdf_filename,
)


def _latest(*records: dict):
    stamps = [parse_datetime(r.get("updated_at"), "updated_at", ENTRY.key) for r in records]
    stamps = [s for s in stamps if s]
    return max(stamps) if stamps else None


class MoneyForwardAdapter(ProviderAdapter):
    """A billing is addressed to a partner's department; our reference rides in memo."""

    provider = ENTRY.key
    mapping = mapping
    supports_payment_push = True

    def adopt_customer(self, company):
        partner = self.client.find_partner_by_code(company.code[:30])
        if partner is None:
            return None
        partner_id, department_id = mapping.partner_ids(partner)
        if department_id is None:
            listed = self.client.list_departments(partner_id)
            department_id = mapping.partner_ids({"id": partner_id, "departments": listed})[1]
        if department_id is None:
            body = mapping.department_body(company)
            department = self.client.create_department(partner_id, body)
            department_id = mapping.partner_ids({"id": partner_id, "departments": [department]})[1]
        ids = CustomerIds(partner_id, department_id)
        self.update_customer(ids, company)
        return ids

    def create_customer(self, company):
        body = {**mapping.partner_body(company), "departments": [mapping.department_body(company)]}
        partner = self.client.create_partner({k: v for k, v in body.items() if v})
        return CustomerIds(*mapping.partner_ids(partner))

    def update_customer(self, ids, company):
        body = {k: v for k, v in mapping.partner_body(company).items() if v}
        self.client.update_partner(ids.external_id, body)
        department = mapping.department_body(company)
        self.client.update_department(ids.external_id, ids.department_id, department)

    # -- customer sync --
    supports_persons = True

    def _remote(self, partner):
        return RemoteCustomer.of(cmap.customer_fields(partner), partner)

    def iter_customers(self, since=None):
        # No updated-since filter on /partners: every partner, 100 a page.
        return (self._remote(p) for p in self.client.iter_partners())

    def search_customers(self, text, limit=20):
        return [self._remote(p) for p in islice(self.client.iter_partners(name=text), limit)]

    def get_customer(self, external_id):
        return self._remote(self.client.get_partner(external_id))

    def create_customer_from(self, company, extra):
        partner_extra, department_extra = cmap.split_extra(extra)
        department = {**mapping.department_body(company), **department_extra}
        body = {**mapping.partner_body(company), **partner_extra, "departments": [department]}
        return self._remote(self.client.create_partner({k: v for k, v in body.items() if v}))

    def push_customer(self, ids, company, extra):
        partner_extra, department_extra = cmap.split_extra(extra)
        body = {k: v for k, v in {**mapping.partner_body(company), **partner_extra}.items() if v}
        partner = self.client.update_partner(ids.external_id, body)
        department = {**mapping.department_body(company), **department_extra}
        answered = self.client.update_department(ids.external_id, ids.department_id, department)
        return _latest(partner, answered)

    def read_field(self, remote, theirs):
        if theirs in cmap.PARTNER_KEYS:
            return remote.raw.get(theirs)
        departments = remote.raw.get("departments") or [{}]
        return departments[0].get(theirs)

    def push_person(self, ids, person_id, contact):
        body = cmap.person_body(contact)
        if person_id is None:
            return self.client.create_department(ids.external_id, body)["id"]
        self.client.update_department(ids.external_id, person_id, body)
        return person_id

    def iter_items(self, since=None):
        return (RemoteItem(**cmap.item_fields(i)) for i in self.client.iter_items())

    def create_item(self, product):
        return RemoteItem(**cmap.item_fields(self.client.create_item(cmap.item_body(product))))

    def update_item(self, external_id, product):
        item = self.client.update_item(external_id, cmap.item_body(product))
        return RemoteItem(**cmap.item_fields(item))

    def find_invoice(self, reference, created_at, customer=None):
        # A day of slack: created_at is ours (UTC), Money Forward's range is JST days.
        # Memo cannot be filtered on; the partner can, so only its billings are paged.
        since = (created_at or utcnow()) - timedelta(days=1)
        partner_id = customer.external_id if customer else None
        billing = self.client.find_billing(reference, since, partner_id=partner_id)
        return self.remote(billing) if billing else None

    def create_invoice(self, outgoing, customer):
        body = mapping.billing_body(outgoing, customer.department_id)
        return self.remote(self.client.create_billing(body, reference=outgoing.reference))

    def iter_customer_invoices(self, customer):
        # The list filters on partner (not department): all the partner's billings,
        # newest billing date first (Money Forward's order).
        return self.client.iter_billings(partner_id=customer.external_id)

    def push_payment_status(self, external_id, paid):
        # PUT /billings/{id}/payment_status takes the codes '2' 入金済み / '1' 未入金.
        billing = self.client.update_payment_status(external_id, "paid" if paid else "unpaid")
        return self.remote(billing)

    # Money Forward's API has no void for a billing (only DELETE): supports_void stays off.
    def sent_to_customer(self, external_id):
        billing = self.client.get_billing(external_id)
        emailed = billing.get("email_status") not in (None, "未送信")
        posted = billing.get("posting_status") not in (None, "未郵送", "郵送取消", "郵送失敗")
        return emailed or posted

    def get_invoice(self, external_id):
        return self.remote(self.client.get_billing(external_id))

    def changes(self, since, open_documents):
        billings = self.client.iter_billings_updated(since)
        return ChangeFeed(self.remote(billing) for billing in billings)

    def open_document(self, kind, external_id, number, url):
        # pdf_url is an API address: it answers only with our bearer token, so a
        # person's browser cannot open it. We fetch the PDF and hand it on.
        content = self.document_pdf(kind, external_id)
        return DocumentFile(content, pdf_filename(kind, number, external_id))

    def document_pdf(self, kind, external_id):
        if kind == "quote":
            return self.client.get_quote_pdf(external_id)
        return self.client.get_billing_pdf(external_id)
