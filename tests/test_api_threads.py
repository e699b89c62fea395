"""Writes through the REST API at the same instant, on a threaded server: each request
changes its own record with its own values. FAB keeps one marshmallow schema per API and
marshmallow-sqlalchemy keeps the instance being loaded on that schema, so two loads at
once could write one request's values onto the other's record (or answer 500)."""

from __future__ import annotations

from decimal import Decimal

import requests

from app.models.crm import DealLine
from tests.documents.test_races import bearer, statuses, together

ROUNDS = 3
AT_ONCE = 8


def test_simultaneous_puts_each_change_their_own_record(db_session, live_server, sample):
    deal = sample["with_lines"]
    lines = []
    for i in range(AT_ONCE):
        line = DealLine(deal=deal, name=f"line {i}", unit_price=Decimal(100), quantity=1)
        db_session.add(line)
        lines.append(line)
    db_session.commit()
    ids = [line.id for line in lines]
    headers = bearer(live_server, "admin")
    for round_ in range(ROUNDS):
        results = together(
            [
                (
                    lambda pk=pk, i=i, r=round_: requests.put(
                        f"{live_server.url}/api/v1/deal_line/{pk}",
                        json={"name": f"round {r} line {i}", "unit_price": 1000 + i},
                        headers=headers,
                        timeout=60,
                    )
                )
                for i, pk in enumerate(ids)
            ]
        )
        assert statuses(results) == [200] * AT_ONCE, [getattr(r, "text", r) for r in results]
        db_session.expire_all()
        for i, pk in enumerate(ids):
            line = db_session.get(DealLine, pk)
            assert (line.name, line.unit_price) == (f"round {round_} line {i}", 1000 + i)
