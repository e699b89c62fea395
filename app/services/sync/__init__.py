"""The sync engine: deal → invoice at the provider → status back on the deal.

Screens call these functions; the work runs in jobs (app.jobs.sync).
"""

from app.services.sync.opening import open_at_provider
from app.services.sync.requests import (
    check_invoice_allowed,
    request_invoice,
    request_status_refresh,
    retry_failure,
    run_progress,
)
from app.services.sync.status import deal_billing_status, refresh_deal_status

__all__ = [
    "check_invoice_allowed",
    "deal_billing_status",
    "open_at_provider",
    "refresh_deal_status",
    "request_invoice",
    "request_status_refresh",
    "retry_failure",
    "run_progress",
]
