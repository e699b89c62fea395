"""How document screens read and write: the derived columns (state as people see it,
balance), the list filters (state incl. open/overdue, date and amount ranges), and rule
errors from the flush kept on the form instead of lost in a redirect."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask import abort, flash, g, request
from flask_appbuilder.exceptions import DatabaseException
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.filters import get_field_setup_query
from flask_appbuilder.urltools import get_filter_args
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from app.services.documents import lifecycle, payments, receivables
from app.services.errors import InvalidInput, RenkeiError
from app.views.datamodel import CodedFilterConverter, RenkeiInterface, _explain

STATE_BADGES = {
    "draft": "default",
    "pending_approval": "warning",
    "approved": "info",
    "sent": "primary",
    "partially_paid": "info",
    "paid": "success",
    "overdue": "danger",
    "written_off": "default",
    "disputed": "warning",
    "void": "default",
}


def state_badge(code: str) -> Markup:
    """A state as a coloured label, in the reader's language."""
    label = lifecycle.STATE_LABELS.get(code, code)
    css = STATE_BADGES.get(code, "default")
    return (
        Markup(f'<span class="label label-{css} doc-state" data-state="{code}">')
        + escape(str(label))
        + Markup("</span>")
    )


class FilterState(BaseFilter):
    """Is: a stored state, or "open" / "overdue", derived from the due date in Tokyo."""

    name = _l("Is")
    arg_name = "doc_state"

    def apply(self, query, value):
        return query.filter(receivables.state_condition(str(value or "")))


class FilterDocumentKind(BaseFilter):
    """Lines of documents of one kind (EXISTS, so it never clashes with the list's joins)."""

    name = _l("Kind")
    arg_name = "doc_kind"

    def apply(self, query, value):
        return query.filter(self.model.document.has(kind=value))


def _decimal(value):
    try:
        number = Decimal(str(value).replace(",", "").strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


class _Bound(BaseFilter):
    """An inclusive bound; a value that is not a number or date is ignored."""

    def parse(self, value):
        if self.datamodel.is_date(self.column_name):
            from dateutil import parser

            try:
                return parser.parse(str(value)).date()
            except (ValueError, OverflowError):
                return None
        return _decimal(value)

    def apply(self, query, value):
        bound = self.parse(value)
        if bound is None:
            return query
        query, column = get_field_setup_query(query, self.model, self.column_name)
        return query.filter(self.compare(column, bound))


class FilterFrom(_Bound):
    name = _l("From")
    arg_name = "doc_from"

    def compare(self, column, bound):
        return column >= bound


class FilterTo(_Bound):
    name = _l("To")
    arg_name = "doc_to"

    def compare(self, column, bound):
        return column <= bound


class DocumentFilterConverter(CodedFilterConverter):
    """State by select (with open and overdue); dates and amounts as from/to ranges."""

    def convert(self, col_name):
        if col_name == "state":
            return [FilterState(col_name, self.datamodel)]
        if self.datamodel.is_date(col_name) or self.datamodel.is_numeric(col_name):
            return [FilterFrom(col_name, self.datamodel), FilterTo(col_name, self.datamodel)]
        return super().convert(col_name)


def state_choices() -> list[tuple[str, str]]:
    """The state filter's choices: open and overdue first, then every stored state."""
    codes = ["open", "overdue", *[s for s in lifecycle.STATE_LABELS if s != "overdue"]]
    return [(code, STATE_FILTER_LABELS.get(code) or lifecycle.STATE_LABELS[code]) for code in codes]


STATE_FILTER_LABELS = {"open": _l("Open (unpaid)")}


_BALANCES = "_renkei_list_balances"


class RuleError(DatabaseException):
    """A business rule refused the save; ``field`` names the culprit when known."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class DocumentInterface(RenkeiInterface):
    """Documents' data: derived columns, range filters, rule errors with their field."""

    filter_converter_class = DocumentFilterConverter
    coded_columns = frozenset({"currency"})
    money_columns = {
        "total": "currency",
        "subtotal": "currency",
        "tax": "currency",
        "balance": "currency",
        "amount": "document.currency",
        "unit_price": "document.currency",
    }

    #: column → function(item) for values that are not plain columns
    virtual: dict = {}

    def _get_attr_value(self, item, col):
        if col in self.virtual:
            return self.virtual[col](item)
        if col == "display_state":
            return state_badge(lifecycle.display_state(item))
        if col == "balance":
            if item.kind != "invoice":
                return None
            known = g.get(_BALANCES, {})
            if item.id in known:
                return known[item.id]
            return payments.balance(item)
        return super()._get_attr_value(item, col)

    def query(self, *args, **kwargs):
        """The page's rows, with their balances read in one grouped query (not per row).

        The balances are kept on ``g`` for this request only, by document id.
        """
        count, items = super().query(*args, **kwargs)
        if any(getattr(i, "kind", None) == "invoice" for i in items):
            known = dict(g.get(_BALANCES, {}))
            known.update(payments.balances(self.session, items))
            setattr(g, _BALANCES, known)
        return count, items

    def _write(self, method, item):
        try:
            method(self, item)
        except RenkeiError as exc:
            self.session.rollback()
            # The REST API shows the cause: make it the readable sentence.
            raise RuleError(str(exc), getattr(exc, "field", None)) from RenkeiError(str(exc))
        except Exception as exc:
            self.session.rollback()
            message = _explain(exc)
            raise DatabaseException(message) from RenkeiError(message)


def interface(model, money=None, virtual=None) -> DocumentInterface:
    """A DocumentInterface for ``model``; ``money`` adds amount → currency columns."""
    attrs = {
        "money_columns": {**DocumentInterface.money_columns, **(money or {})},
        "virtual": virtual or {},
    }
    return type(f"{model.__name__}DocInterface", (DocumentInterface,), attrs)(model)


class KeepFormOnRuleError:
    """Add and edit that keep the typed form when a flush-time rule refuses the save.

    FAB's own add/edit redirect on any save error (edit even hides the message); here the
    service's sentence is flashed and put on the field it names.
    """

    def _save(self, form, item, before, write, after, done) -> bool:
        try:
            form.populate_obj(item)
            before(item)
            write(item)
        except (RenkeiError, DatabaseException) as exc:
            self.datamodel.session.rollback()
            message = str(exc)
            name = getattr(exc, "field", None) or ""
            field = getattr(form, name, None)
            if field is not None and hasattr(field, "errors"):
                # FAB's form template passes errors through %-formatting.
                field.errors = [*field.errors, message.replace("%", "%%")]
            flash(message, "danger")
            return False
        after(item)
        flash(str(done), "success")
        return True

    def _add(self):
        get_filter_args(self._filters, disallow_if_not_in_search=False)
        exclude_cols = self._filters.get_relation_cols()
        form = self.add_form.refresh()
        if request.method == "POST":
            self._fill_form_exclude_cols(exclude_cols, form)
            if form.validate():
                self.process_form(form, True)
                item = self.datamodel.obj()
                if self._save(
                    form,
                    item,
                    self.pre_add,
                    self.datamodel.add,
                    self.post_add,
                    self.add_row_message,
                ):
                    return None
        else:
            self.update_redirect()
        return self._get_add_widget(form=form, exclude_cols=exclude_cols)

    def _edit(self, pk):
        get_filter_args(self._filters, disallow_if_not_in_search=False)
        exclude_cols = self._filters.get_relation_cols()
        item = self.datamodel.get(pk, self._base_filters)
        if not item:
            abort(404)
        pk = self.datamodel.get_pk_value(item)
        if request.method == "POST":
            form = self.edit_form.refresh(request.form)
            self._fill_form_exclude_cols(exclude_cols, form)
            form._id = pk
            if form.validate():
                self.process_form(form, False)
                if self._save(
                    form,
                    item,
                    self.pre_update,
                    self.datamodel.edit,
                    self.post_update,
                    self.edit_row_message,
                ):
                    return None
        else:
            form = self.edit_form.refresh(obj=item)
            self.prefill_form(form, pk)
            self.update_redirect()
        widgets = self._get_edit_widget(form=form, exclude_cols=exclude_cols)
        return self._get_related_views_widgets(
            item, filters={}, orders={}, pages={}, page_sizes={}, widgets=widgets
        )


def refuse(message: str, field: str | None = None):
    """Raise the InvalidInput a view's pre_add/pre_update uses to refuse a save."""
    raise InvalidInput(message, field)
