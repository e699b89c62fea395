"""REST APIs; ``register_apis`` adds them under /api/v1."""

from app.api.billing_milestones import MilestoneApi
from app.api.billing_time import TimeEntryApi
from app.api.crm import CRM_APIS
from app.api.documents import DOCUMENT_APIS
from app.api.entities import ENTITY_APIS
from app.api.links import LINK_APIS
from app.api.openapi import register_openapi
from app.api.orders import ORDER_APIS
from app.api.reminders import REMINDER_APIS
from app.api.subscriptions import SUBSCRIPTION_APIS


def register_apis(appbuilder) -> None:
    """Add every REST API to ``appbuilder``."""
    register_openapi(appbuilder)
    for api in [
        *CRM_APIS,
        *DOCUMENT_APIS,
        *ENTITY_APIS,
        *LINK_APIS,
        *REMINDER_APIS,
        MilestoneApi,
        TimeEntryApi,
        *ORDER_APIS,
        *SUBSCRIPTION_APIS,
    ]:
        appbuilder.add_api(api)
