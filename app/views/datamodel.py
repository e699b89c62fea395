"""The data interface our views use: money display and clean error handling."""

from __future__ import annotations

from flask_appbuilder.exceptions import DatabaseException
from flask_appbuilder.models.sqla.filters import FilterEqual, SQLAFilterConverter
from flask_babel import lazy_gettext as _l
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


class FilterIs(FilterEqual):
    """ "Is" (一致): the one operator of a coded column, whose value comes from a select."""

    name = _l("Is")


class CodedFilterConverter(SQLAFilterConverter):
    """Coded columns (a stage, a status, a currency: ``coded_columns`` of the datamodel)
    are filtered by "Is" only; text operators such as "Starts with" mean nothing there."""

    def convert(self, col_name):
        if col_name in getattr(self.datamodel, "coded_columns", ()):
            return [FilterIs(col_name, self.datamodel)]
        return super().convert(col_name)


class RenkeiInterface(MoneyInterface):
    """Rolls back on any failure and raises DatabaseException with a readable message."""

    filter_converter_class = CodedFilterConverter
    coded_columns: frozenset[str] = frozenset()

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


def datamodel(
    model, money: dict[str, str] | None = None, coded: tuple[str, ...] = ()
) -> RenkeiInterface:
    """A datamodel for ``model``; ``money`` maps amount columns to their currency column,
    ``coded`` names the columns filtered by "Is" (their search field is a select)."""
    attributes = {"money_columns": money or {}, "coded_columns": frozenset(coded)}
    cls = type(f"{model.__name__}Interface", (RenkeiInterface,), attributes)
    return cls(model)
