"""Money Forward クラウド請求書: partner + department, billings found by memo tag."""

from __future__ import annotations

from datetime import timedelta

from app.models.crm import utcnow
from app.providers.moneyforward import ENTRY, mapping
from app.services.sync.adapters.base import (
    ChangeFeed,
    CustomerIds,
    DocumentFile,
    ProviderAdapter,
    pdf_filename,
)


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
