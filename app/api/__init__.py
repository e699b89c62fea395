"""REST APIs; ``register_apis`` adds them under /api/v1."""

from app.api.crm import CRM_APIS


def register_apis(appbuilder) -> None:
    """Add every REST API to ``appbuilder``."""
    for api in CRM_APIS:
        appbuilder.add_api(api)
