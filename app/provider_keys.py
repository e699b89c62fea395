"""The keys of the providers Renkei knows, as plain data: the one place below the
registry (app/providers/registry.py) that names them, so that models, which may not
import app.providers, can check a connection's provider against the same list."""

PROVIDER_KEYS = ("moneyforward", "zoho", "freee")
