"""Benchmark: the scheduled pull over 10,000 Renkei invoices, each linked at Money
Forward, Zoho and freee (30,000 links), 1 % of them paid at each provider since the
last pull.

Seeding is fast: one deal is invoiced for real (``invoice_deal`` at Money Forward, then
``issue`` at Zoho and freee, the create jobs run), then its deal, document and three
links are copied 9,999 times with bulk INSERTs and its three provider invoices cloned
in the sandboxes' stores; 100 clones per provider are marked paid there (each provider
a different 100). Each provider's pull is run on its own (the other connections paused)
and measured: API calls, wall time, SQL statements (a ``before_cursor_execute``
listener) in all and per changed document, and whether each changed invoice got its
payment recorded (balance 0, state paid).
"""

from __future__ import annotations

import collections
import copy
import datetime as dt
import os
import time
from decimal import Decimal

import sqlalchemy as sa

N = 10_000
CHANGED = N // 100
PROVIDERS = ("moneyforward", "zoho", "freee")
OLD = dt.timedelta(days=10)


def _template(app, server, connections):
    """One real invoice issued at the three providers; (deal, document, links)."""
    from app.extensions import db
    from app.models.crm import Company, Deal
    from app.services.sync import issuing
    from tests.conftest import drain_queues

    admin = app.appbuilder.sm.find_user(username="admin")
    company = Company(code="B-1", name="ベンチ株式会社", postal_code="100-0001")
    deal = Deal(
        title="bench",
        company=company,
        stage="won",
        probability=100,
        currency="JPY",
        amount=Decimal(1000),
    )
    db.session.add_all([company, deal])
    db.session.commit()
    first, *others = (connections[p] for p in PROVIDERS)
    issued = issuing.invoice_deal(deal, first, admin)
    document = issued.link.document
    issuing.issue(document, others, admin)
    import redis

    drain_queues(app, redis.Redis.from_url(app.config["REDIS_URL"]))
    db.session.expire_all()
    links = {link.connection.provider: link for link in document.links}
    assert all(links[p].external_id for p in PROVIDERS), [
        (p, links[p].last_error) for p in PROVIDERS
    ]
    return deal, document, links


def _copies(table, row: dict, n: int, change) -> list[dict]:
    base = {k: v for k, v in row.items() if k != "id"}
    return [{**base, **change(i)} for i in range(n)]


def _seed_database(deal, document, links) -> dict[str, list[tuple[int, str]]]:
    """Copy the deal, document and links N-1 times; {provider: [(document_id, ext id)]}."""
    from app.extensions import db
    from app.models.crm import Deal
    from app.models.documents import Document
    from app.models.sync import ExternalDocument

    session = db.session
    row = lambda model, pk: dict(  # noqa: E731
        session.execute(sa.select(model.__table__).where(model.__table__.c.id == pk))
        .mappings()
        .one()
    )
    deal_row, doc_row = row(Deal, deal.id), row(Document, document.id)
    deal_ids = [deal.id] + list(
        session.execute(
            sa.insert(Deal.__table__).returning(Deal.__table__.c.id),
            _copies(Deal, deal_row, N - 1, lambda i: {"title": f"bench {i}"}),
        ).scalars()
    )
    doc_ids = [document.id] + list(
        session.execute(
            sa.insert(Document.__table__).returning(Document.__table__.c.id),
            _copies(
                Document,
                doc_row,
                N - 1,
                lambda i: {"number": f"INV-B{i:06d}", "deal_id": deal_ids[i + 1]},
            ),
        ).scalars()
    )
    external: dict[str, list[tuple[int, str]]] = {}
    for provider, link in links.items():
        link_row = row(ExternalDocument, link.id)
        ids = [f"{link.external_id}"] + [f"b{provider[:2]}{i:07d}" for i in range(N - 1)]
        if provider == "freee":  # freee's ids are numbers
            ids = [link.external_id] + [str(900_000_000 + i) for i in range(N - 1)]
        session.execute(
            sa.insert(ExternalDocument.__table__),
            _copies(
                ExternalDocument,
                link_row,
                N - 1,
                lambda i, ids=ids, p=provider: {
                    "document_id": doc_ids[i + 1],
                    "deal_id": deal_ids[i + 1],
                    "reference": f"rk-bench-{p}-{i}",
                    "external_id": ids[i + 1],
                },
            ),
        )
        external[provider] = list(zip(doc_ids, ids, strict=True))
    session.commit()
    return external


def _seed_sandboxes(app, external) -> dict[str, list[int]]:
    """Clone each provider's invoice under the ids given; mark CHANGED of them paid (a
    different slice per provider). Returns the changed Renkei document ids per provider."""
    from app.sandbox import sandboxes_of
    from app.sandbox.common import iso
    from app.sandbox.zoho.documents import set_invoice_status

    boxes = sandboxes_of(app)
    now = dt.datetime.now(dt.UTC)
    changed: dict[str, list[int]] = {}
    for slot, provider in enumerate(PROVIDERS):
        box, pairs = boxes[provider], external[provider]
        paid = set(range(slot * CHANGED + 1, (slot + 1) * CHANGED + 1))  # not the template
        changed[provider] = [pairs[i][0] for i in sorted(paid)]
        with box.store.write():
            if provider == "moneyforward":
                store = box.state["billings"]
                original = store[pairs[0][1]]
                for i, (_doc, ext) in enumerate(pairs):
                    clone = copy.deepcopy(original)
                    clone["id"] = ext
                    clone["updated_at"] = iso(now if i in paid else now - OLD)
                    clone["payment_status"] = "2" if i in paid else "1"
                    store[ext] = clone
            elif provider == "zoho":
                store = box.state["invoices"]
                original = store[pairs[0][1]]
                stamp = lambda moment: moment.strftime("%Y-%m-%dT%H:%M:%S+0000")  # noqa: E731
                for i, (_doc, ext) in enumerate(pairs):
                    clone = copy.deepcopy(original)
                    clone["invoice_id"] = ext
                    clone["invoice_number"] = f"INV-Z{i:06d}"
                    set_invoice_status(clone, "paid" if i in paid else "sent")
                    clone["last_modified_time"] = stamp(now if i in paid else now - OLD)
                    store[ext] = clone
            else:
                store = box.state["documents"]
                original = store[pairs[0][1]]
                for i, (_doc, ext) in enumerate(pairs):
                    clone = copy.deepcopy(original)
                    clone["id"] = int(ext)
                    clone["payment_status"] = "settled" if i in paid else "unsettled"
                    clone["_updated_at"] = iso(now if i in paid else now - OLD)
                    store[ext] = clone
    return changed


def _pull_one(app, connections, provider) -> dict:
    """Run the scheduled pull with only ``provider``'s connection connected; its figures."""
    from app.extensions import db
    from app.models.sync import SyncRun
    from app.services.sync.refresh import perform_refresh

    for other, connection in connections.items():
        connection.status = "connected" if other == provider else "paused"
    db.session.commit()
    run = SyncRun(kind="scheduled_refresh")
    db.session.add(run)
    db.session.commit()
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    started = time.perf_counter()
    try:
        perform_refresh(run.id)
    finally:
        seconds = time.perf_counter() - started
        sa.event.remove(engine, "before_cursor_execute", count)
    db.session.refresh(run)
    if os.environ.get("RENKEI_BENCH_EXPLAIN"):  # which statements the pull spends
        shapes = collections.Counter(" ".join(s.split())[:110] for s in statements)
        print(f"\n-- {provider}: most frequent SQL statements")
        for shape, times in shapes.most_common(12):
            print(f"  {times:>6}  {shape}")
    return {
        "run": run,
        "seconds": seconds,
        "statements": len(statements),
        "selects": sum(s.lstrip().upper().startswith("SELECT") for s in statements),
    }


def _settled(document_ids: list[int], connection_id: int) -> tuple[int, int]:
    """(how many of ``document_ids`` owe nothing and are paid, how many have a payment
    reported by ``connection_id``)."""
    from app.extensions import db
    from app.models.documents import Document, Payment
    from app.services.documents import payments

    db.session.expire_all()
    documents = db.session.query(Document).filter(Document.id.in_(document_ids)).all()
    zero = sum(payments.balance(d) == 0 and d.state == "paid" for d in documents)
    reported = (
        db.session.query(sa.func.count(sa.distinct(Payment.document_id)))
        .filter(Payment.document_id.in_(document_ids), Payment.connection_id == connection_id)
        .scalar()
    )
    return zero, reported


def run() -> dict:
    """Seed, pull each provider once; return (and write) the figures."""
    from app.extensions import db
    from tests.bench.common import bench_app, write_result
    from tests.factories import ensure_issuer
    from tests.sync.conftest import make_connected

    with bench_app() as (app, server), app.app_context():
        ensure_issuer(db.session)
        connections = {
            p: make_connected(db.session, server.url, p, f"{p} bench") for p in PROVIDERS
        }
        started = time.perf_counter()
        deal, document, links = _template(app, server, connections)
        external = _seed_database(deal, document, links)
        changed = _seed_sandboxes(app, external)
        seeded = time.perf_counter() - started
        last_pull = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(days=2)
        for connection in connections.values():
            connection.statuses_pulled_until = last_pull
        db.session.commit()

        rows: dict = {"documents": N, "links": N * len(PROVIDERS), "seconds to seed": seeded}
        for provider in PROVIDERS:
            figures = _pull_one(app, connections, provider)
            pull = figures["run"]
            zero, reported = _settled(changed[provider], connections[provider].id)
            rows.update(
                {
                    f"{provider}: API calls": pull.api_calls,
                    f"{provider}: seconds": round(figures["seconds"], 2),
                    f"{provider}: documents changed": pull.updated,
                    f"{provider}: SQL statements": figures["statements"],
                    f"{provider}: SQL per changed document": round(
                        figures["statements"] / CHANGED, 1
                    ),
                    f"{provider}: paid with balance 0": f"{zero} of {CHANGED}",
                    f"{provider}: payments reported by it": reported,
                    f"{provider}: within 3 calls": pull.api_calls <= 3,
                    f"{provider}: run": f"{pull.status}: {pull.message}",
                    f"{provider}: failures": [f.message for f in pull.failures],
                }
            )
        rows["seconds to seed"] = round(seeded, 1)
        write_result("one_document_pull", rows)
        return rows


if __name__ == "__main__":
    run()
