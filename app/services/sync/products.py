"""Products kept in step with a connection's provider items (issue 16).

Products map automatically: name, code, unit, price and tax rate (what the provider's
item has of them: freee's 品目 has a name and a shortcut only). Matching and duplicates
work as for companies (app/services/sync/customers.py): the link, then our code (the
same record: adopted), then the normalised name (a duplicate: skip or overwrite); both
ways, the later change by each side's own clock wins and the loser is kept in the
history.
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from types import SimpleNamespace

from flask_babel import gettext as _

from app.extensions import db
from app.models.crm import Product, utcnow
from app.models.customer_sync import ProductLink
from app.providers.errors import ProviderError
from app.services.sync.adapters import RemoteItem
from app.services.sync.customers import SIDES, naive_utc
from app.services.sync.matching import Index
from app.services.sync.record_commit import commit_record
from app.services.sync.scope import scoped


def product_print(product: Product) -> str:
    data = [product.name, product.code, product.unit, str(product.unit_price), product.tax_rate]
    return hashlib.sha256(json.dumps(data, ensure_ascii=False).encode()).hexdigest()


def _values(record) -> dict:
    if isinstance(record, RemoteItem):
        return {
            "name": record.name,
            "code": record.code,
            "unit": record.unit,
            "price": record.price,
            "tax_rate": record.tax_rate,
        }
    return {
        "name": record.name,
        "code": record.code,
        "unit": record.unit,
        "price": record.unit_price,
        "tax_rate": record.tax_rate,
    }


class ProductSync:
    """The product part of a customer-sync run (``sync`` is its CustomerSync)."""

    def __init__(self, sync):
        self.sync = sync
        self.setting = sync.setting
        self.adapter = sync.adapter
        self.connection_id = sync.connection.id
        self.handled: set[int] = set()
        self._index: Index | None = None

    def links(self) -> dict[int, ProductLink]:
        rows = db.session.query(ProductLink).filter_by(connection_id=self.connection_id)
        return {link.product_id: link for link in rows}

    def run_all(self) -> None:
        if self.setting.product_extent in SIDES["from_provider"]:
            self.pull()
        if self.setting.product_extent in SIDES["to_provider"]:
            self.push()

    # -- provider → Renkei --
    def pull(self) -> None:
        by_remote = {link.external_id: link for link in self.links().values()}
        ours = Index(db.session.query(Product).all())
        for item in self.adapter.iter_items(None):
            try:
                self._pull_one(item, by_remote, ours)
            except ProviderError as exc:
                db.session.rollback()
                self.sync.outcome(
                    "product", "failed", "from_provider", remote=item, message=str(exc)
                )
            commit_record()

    def pull_one(self, external_id: str) -> None:
        """One provider item, as a pull would take it (a Retry of that record)."""
        by_remote = {link.external_id: link for link in self.links().values()}
        for item in self.adapter.iter_items(None):
            if item.external_id == external_id:
                self._pull_one(item, by_remote, Index(db.session.query(Product).all()))
                return
        message = _("The provider no longer has this item.")
        gone = SimpleNamespace(external_id=external_id, name=None)
        self.sync.outcome("product", "failed", "from_provider", remote=gone, message=message)

    def _apply(self, product: Product, item: RemoteItem) -> None:
        product.name = item.name[:200] or product.name
        if item.unit:
            product.unit = item.unit[:20]
        if item.price is not None:
            product.unit_price = Decimal(item.price)
        if item.tax_rate:
            product.tax_rate = item.tax_rate

    def _pull_one(self, item: RemoteItem, by_remote, ours: Index) -> None:
        stamp = naive_utc(item.updated_at)
        link = by_remote.get(item.external_id)
        if link is not None:
            product = link.product
            if link.provider_updated_at is not None and (
                stamp is None or stamp <= link.provider_updated_at
            ):
                return
            if link.provider_updated_at is None:
                link.provider_updated_at = stamp
                return
            loser = None
            if (
                link.pushed_fingerprint != product_print(product)
                and self.setting.product_extent == "both"
            ):
                if product.updated_at and stamp and product.updated_at > stamp:
                    message = _("Changed on both sides; Renkei's change is later and wins.")
                    self.sync.outcome(
                        "product", "conflict", "to_provider", product, item, message, _values(item)
                    )
                    link.provider_updated_at = stamp
                    return
                loser = _values(product)
            self._apply(product, item)
            db.session.flush()
            link.pushed_fingerprint = product_print(product)
            link.provider_updated_at = stamp
            self.handled.add(product.id)
            if loser:
                message = _("Changed on both sides; the provider's change is later and wins.")
                self.sync.outcome(
                    "product", "conflict", "from_provider", product, item, message, loser
                )
            else:
                self.sync.outcome("product", "updated", "from_provider", product, item)
            return
        linked = {link.product_id for link in by_remote.values()}
        matches = [
            m for m in ours.find(code=item.code, name=item.name) if m.record.id not in linked
        ]
        if matches and not any(m.same for m in matches) and self.setting.duplicates == "skip":
            message = _(
                "Matches %(code)s on %(key)s; skipped.",
                code=matches[0].record.code,
                key=matches[0].key,
            )
            self.sync.outcome(
                "product", "skipped", "from_provider", matches[0].record, item, message
            )
            return
        if matches:
            product, outcome = matches[0].record, "updated"
        else:
            code = (item.code or "")[:30]
            if not code or db.session.query(Product.id).filter_by(code=code).first():
                code = f"{self.adapter.provider[:2].upper()}-{item.external_id}"[:30]
            product, outcome = Product(code=code, name=item.name[:200]), "created"
            db.session.add(product)
        self._apply(product, item)
        db.session.flush()
        link = ProductLink(
            connection_id=self.connection_id,
            product_id=product.id,
            external_id=item.external_id,
            pushed_fingerprint=product_print(product),
            provider_updated_at=stamp,
            last_pushed_at=utcnow(),
        )
        db.session.add(link)
        by_remote[item.external_id] = link
        ours.add(product)
        self.handled.add(product.id)
        self.sync.outcome("product", outcome, "from_provider", product, item)

    # -- Renkei → provider --
    def index(self) -> Index:
        if self._index is None:
            self._index = Index(self.adapter.iter_items(None))
        return self._index

    def push(self, product_ids: list[int] | None = None) -> None:
        links = self.links()
        query = scoped(Product, self.setting.product_filter)
        if product_ids is not None:
            query = query.filter(Product.id.in_(product_ids))
        ids = [row.id for row in query.with_entities(Product.id).order_by(Product.id)]
        self.sync.run.total = (self.sync.run.total or 0) + len(ids)
        db.session.commit()
        for product_id in ids:
            if product_id in self.handled:
                continue
            product = db.session.get(Product, product_id)
            try:
                self._push_one(product, links.get(product_id))
            except ProviderError as exc:
                db.session.rollback()
                product = db.session.get(Product, product_id)
                self.sync.outcome("product", "failed", "to_provider", product, message=str(exc))
            commit_record()

    def _push_one(self, product: Product, link: ProductLink | None) -> None:
        print_ = product_print(product)
        if link is not None:
            if link.pushed_fingerprint == print_:
                return
            item = self.adapter.update_item(link.external_id, product)
            link.pushed_fingerprint = print_
            link.provider_updated_at = naive_utc(item.updated_at)
            link.last_pushed_at = utcnow()
            self.sync.outcome("product", "updated", "to_provider", product, item)
            return
        taken = {link.external_id for link in self.links().values()}
        matches = [
            m
            for m in self.index().find(code=product.code, name=product.name)
            if m.record.external_id not in taken
        ]
        if matches and not any(m.same for m in matches) and self.setting.duplicates == "skip":
            message = _(
                "The provider has %(name)s, matching on %(key)s; skipped.",
                name=matches[0].record.name,
                key=matches[0].key,
            )
            self.sync.outcome(
                "product", "skipped", "to_provider", product, matches[0].record, message
            )
            return
        if matches:
            item = self.adapter.update_item(matches[0].record.external_id, product)
            outcome = "updated"
        else:
            item = self.adapter.create_item(product)
            self.index().add(item)
            outcome = "created"
        db.session.add(
            ProductLink(
                connection_id=self.connection_id,
                product_id=product.id,
                external_id=item.external_id,
                pushed_fingerprint=print_,
                provider_updated_at=naive_utc(item.updated_at),
                last_pushed_at=utcnow(),
            )
        )
        db.session.commit()  # saved the moment the provider holds the item
        self.sync.outcome("product", outcome, "to_provider", product, item)
