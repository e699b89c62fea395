"""The sync engine: Renkei document → invoice at the provider → status and payments back.

Screens call these functions; the work runs in jobs (app.jobs.sync).
"""

from app.services.sync.issuing import (
    NeedsConfirmation,
    check_invoice_allowed,
    invoice_deal,
    issue,
    request_invoice,
)
from app.services.sync.opening import open_at_provider
from app.services.sync.requests import (
    request_status_refresh,
    retry_failure,
    run_progress,
)
from app.services.sync.status import deal_billing_status, refresh_deal_status

__all__ = [
    "NeedsConfirmation",
    "check_invoice_allowed",
    "invoice_deal",
    "issue",
    "deal_billing_status",
    "open_at_provider",
    "refresh_deal_status",
    "request_invoice",
    "request_status_refresh",
    "retry_failure",
    "run_progress",
]
