"""The demo's SaaS subscription: one customer on a monthly plan started a month ago, its
two invoices made by the billing run (the last one with last period's usage, billed in
arrears), and a seat increase from next week waiting as a prorated change — so the
subscription page, the billing run's preview and the invoices have something to show."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from app.models.crm import Company
from app.models.subscriptions import Subscription


def load_demo_subscriptions(session, today: dt.date) -> dict[str, int]:
    """A subscription with two generated invoices (nothing when one exists already)."""
    if session.query(Subscription).count():
        return {}
    from flask import current_app

    from app.services.billing import periods, subscriptions, usage
    from app.services.billing import run as billing

    companies = session.query(Company).order_by(Company.code).limit(4).all()  # [1], [2]: gated
    if not companies:
        return {}
    company = companies[-1]
    accounting = current_app.appbuilder.sm.find_user(username="accounting")
    start = periods.add_months(today, -1)
    subscription = subscriptions.create(
        company,
        [
            {
                "name": "Renkei Cloud ビジネス（ユーザー）",
                "unit_price": Decimal(1800),
                "quantity": Decimal(12),
                "tax_rate": "standard_10",
            },
            {
                "name": "サポート（月額）",
                "unit_price": Decimal(30000),
                "quantity": Decimal(1),
                "tax_rate": "standard_10",
            },
        ],
        user=accounting,
        name=f"{company.name} Renkei Cloud",
        start_date=start,
        notice_days=30,
    )
    billing.run(today=start, user=None)  # the first period, billed on its first day
    rows = [
        {
            "subscription": subscription.id,
            "metric": "API呼び出し（千回）",
            "date": (start + dt.timedelta(days=k)).isoformat(),
            "quantity": str(3 + k % 5),
            "unit_price": "50",
        }
        for k in range(0, (today - start).days, 3)
    ]
    usage.import_rows(rows, user=accounting, today=today - dt.timedelta(days=1))
    billing.run(today=today, user=None)  # this period, with last period's usage
    line = subscription.lines[0]
    subscriptions.change_line(
        line,
        user=accounting,
        quantity=Decimal(15),
        effective_on=today + dt.timedelta(days=7),
        today=today,
    )
    return {"subscriptions": 1, "subscription_invoices": 2, "usage_rows": len(rows)}
