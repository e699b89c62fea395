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

__all__ = [
    "NeedsConfirmation",
    "check_invoice_allowed",
    "invoice_deal",
    "issue",
    "open_at_provider",
    "request_invoice",
    "request_status_refresh",
    "retry_failure",
    "run_progress",
]
