"""Small record factories for tests."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from app.models.crm import Company, Contact, Deal, DealLine, DealType, Product


def make_sample(session) -> dict:
    """Create a known little CRM and return its records by name."""
    standard = DealType(code="standard", name="標準")
    project = DealType(code="project", name="プロジェクト")
    consulting = Product(
        code="P-1", name="導入支援", unit="式", unit_price=Decimal("300000"), tax_rate="standard_10"
    )
    lunch = Product(
        code="P-2", name="お弁当", unit="個", unit_price=Decimal("1080"), tax_rate="reduced_8"
    )
    sakura = Company(
        code="C-1",
        name="株式会社さくら商事",
        kana="サクラショウジ",
        invoice_registration_number="T5835678256246",
    )
    acme = Company(code="C-2", name="Acme Trading Ltd.")
    hanako = Contact(company=sakura, name="佐藤 花子", email="hanako@example.com")
    with_lines = Deal(
        title="会計システム導入",
        company=sakura,
        contact=hanako,
        deal_type=standard,
        stage="proposal",
        currency="JPY",
        expected_close_date=dt.date(2026, 12, 15),
    )
    with_lines.lines = [
        DealLine(position=1, product=consulting, quantity=Decimal(1)),
        DealLine(position=2, product=lunch, quantity=Decimal(20), discount_percent=Decimal(10)),
    ]
    amount_only = Deal(
        title="Annual support",
        company=acme,
        deal_type=project,
        stage="won",
        currency="USD",
        amount=Decimal("12000.50"),
        expected_close_date=dt.date(2027, 3, 1),
    )
    session.add_all(
        [standard, project, consulting, lunch, sakura, acme, hanako, with_lines, amount_only]
    )
    session.commit()
    return {
        "standard": standard,
        "project": project,
        "consulting": consulting,
        "lunch": lunch,
        "sakura": sakura,
        "acme": acme,
        "hanako": hanako,
        "with_lines": with_lines,
        "amount_only": amount_only,
    }


def make_connected_mf(session, sandbox_root: str, name: str, expires_in: dt.timedelta):
    """A Money Forward connection pointing at the sandbox served at ``sandbox_root``, its
    tokens minted by the sandbox and expiring ``expires_in`` from now (negative: expired)."""
    import requests

    from app.models.connection import Connection
    from app.providers.catalog import sandbox_urls
    from app.providers.tokens import TokenSet
    from app.services.token_store import store_tokens

    api, authorize, token = sandbox_urls("moneyforward", sandbox_root)
    minted = requests.post(
        f"{sandbox_root}/sandbox/moneyforward/_sandbox/tokens",
        json={"client_id": "renkei-demo"},
        timeout=10,
    ).json()
    connection = Connection(
        provider="moneyforward",
        name=name,
        client_id="renkei-demo",
        client_secret="renkei-demo-secret",
        scopes="mfc/invoice/data.write",
        api_base_url=api,
        authorize_url=authorize,
        token_url=token,
        status="connected",
    )
    expires = dt.datetime.now(dt.UTC) + expires_in
    store_tokens(connection, TokenSet(minted["access_token"], minted["refresh_token"], expires))
    session.add(connection)
    session.commit()
    return connection


def ensure_issuer(session, tax_rounding: str = "down"):
    """The issuing legal entity invoices from deals are made by (made once)."""
    from app.models.documents import LegalEntity

    entity = session.query(LegalEntity).order_by(LegalEntity.id).first()
    if entity is None:
        entity = LegalEntity(
            name="株式会社レンケイ",
            name_en="Renkei K.K.",
            registration_number="T5835678256246",
            address="東京都千代田区丸の内1-1-1",
            tax_rounding=tax_rounding,
        )
        session.add(entity)
        session.commit()
    return entity
