"""A job used only by the job-infrastructure tests: it writes a row through a service."""

from app.extensions import db
from app.jobs import job
from app.models.crm import DealType


@job(queue="renkei-test")
def add_deal_type(code: str) -> int:
    """Create a deal type; fails (raises) when the code exists."""
    record = DealType(code=code, name=f"job {code}")
    db.session.add(record)
    db.session.commit()
    return record.id


@job(queue="renkei-test", requires=("can_write", "DealType"))
def add_deal_type_as(code: str, as_user: int | None = None) -> int:
    """The same, for a user who must be allowed to write deal types when it runs."""
    record = DealType(code=code, name=f"by user {as_user}")
    db.session.add(record)
    db.session.commit()
    return record.id
