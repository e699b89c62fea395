"""The data interface our views use: money display and clean error handling."""

from __future__ import annotations

from flask_appbuilder.exceptions import DatabaseException
from sqlalchemy.exc import IntegrityError

from app.services.errors import RenkeiError
from app.views.money import MoneyInterface


def _explain(exc: Exception) -> str:
    if isinstance(exc, RenkeiError):
        return str(exc)
    if isinstance(exc, IntegrityError):
        text = str(exc.orig).lower()
        if "unique" in text or "duplicate" in text:
            return "A record with this code already exists."
        if "foreign key" in text:
            return "This record is still used by other records."
        return "The record breaks a rule of the database: " + str(exc.orig).splitlines()[0]
    return str(exc)


class RenkeiInterface(MoneyInterface):
    """Rolls back on any failure and raises DatabaseException with a readable message."""

    def _write(self, method, item):
        try:
            method(self, item)
        except Exception as exc:
            self.session.rollback()
            message = _explain(exc)
            # FAB's REST API shows the cause; make it the readable sentence.
            raise DatabaseException(message) from RenkeiError(message)

    def add(self, item, commit: bool = True) -> None:
        self._write(MoneyInterface.add, item)

    def edit(self, item, commit: bool = True) -> None:
        self._write(MoneyInterface.edit, item)

    def delete(self, item, commit: bool = True) -> None:
        self._write(MoneyInterface.delete, item)


def datamodel(model, money: dict[str, str] | None = None) -> RenkeiInterface:
    """A datamodel for ``model``; ``money`` maps amount columns to their currency column."""
    cls = type(f"{model.__name__}Interface", (RenkeiInterface,), {"money_columns": money or {}})
    return cls(model)
