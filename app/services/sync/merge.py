"""Merge duplicate companies into one, keeping every document, deal, contact and link.

Every column that refers to a company is pointed at the one kept; a provider link of a
merged company whose connection the kept company already has a link for is dropped
(one link per company and connection), the provider record it named stays there.
"""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models.crm import Company
from app.models.sync import PartnerLink


def _references() -> list[tuple[sa.Table, sa.Column]]:
    """(table, column) of every foreign key to company.id."""
    found = []
    for table in db.metadata.sorted_tables:
        for key in table.foreign_keys:
            if key.column.table.name == "company" and key.column.name == "id":
                found.append((table, key.parent))
    return found


def merge_companies(keep: Company, others: list[Company]) -> None:
    """Fold ``others`` into ``keep`` (caller commits); empty fields of ``keep`` are
    filled from the others."""
    ids = [c.id for c in others if c.id != keep.id]
    if not ids:
        return
    held = {
        link.connection_id for link in db.session.query(PartnerLink).filter_by(company_id=keep.id)
    }
    for link in db.session.query(PartnerLink).filter(PartnerLink.company_id.in_(ids)):
        if link.connection_id in held:
            db.session.delete(link)
        held.add(link.connection_id)
    for other in others:
        for column in Company.__table__.columns:
            if column.name not in ("id", "code", "created_at", "updated_at"):
                if getattr(keep, column.name) in (None, "") and getattr(other, column.name):
                    setattr(keep, column.name, getattr(other, column.name))
    db.session.flush()
    for table, column in _references():
        db.session.execute(table.update().where(column.in_(ids)).values({column.name: keep.id}))
    db.session.expire_all()
    db.session.query(Company).filter(Company.id.in_(ids)).delete(synchronize_session=False)
