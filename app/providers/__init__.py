"""Talking to the invoicing providers: Money Forward, Zoho Invoice and freee.

- ``errors``: one exception class per kind of failure (what the sync layer catches);
- ``http``: ``ProviderHTTP`` — timeouts, auth header, retries, typed errors, safe logs;
- ``retry``: when a request may be repeated and how long to wait first;
- ``ratelimit``: limits shared by all workers through Redis (in memory for the demo);
- ``oauth`` / ``tokens``: the authorization-code flow, token stores, refresh under a lock;
- ``moneyforward``, ``zoho``, ``freee``: one thin client per provider (+ its dialect).

Nothing here imports the app's models, views or Flask-AppBuilder.
"""
