"""The company form and page with its custom fields (app/services/custom_fields.py).

Which custom fields exist is known only when a request comes (a mapping page may have
added one a minute ago), so the form class is made per request: ``with_custom_fields``
wraps Flask-AppBuilder's form so that ``refresh`` adds one text field per custom field.
``CustomFieldsMixin`` puts them on the add and edit screens, fills them on edit, hands
their values to the service (checked and audited there) and lists them on the page.
"""

from __future__ import annotations

from flask import g
from flask_appbuilder.fieldwidgets import BS3TextFieldWidget
from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import Length, Optional, ValidationError

from app.services import custom_fields

FIELD_PREFIX = "cf_"


def field_name(name: str) -> str:
    """The form field of custom field ``name`` (any script: hex of its UTF-8)."""
    return FIELD_PREFIX + name.encode().hex()


def _one_line(form, field) -> None:
    if field.data and custom_fields.CONTROL.search(field.data):
        raise ValidationError(_l("One line of text, please."))


class CustomField(StringField):
    """A custom field's input: its value is kept by the service, not as a column."""

    def populate_obj(self, obj, name) -> None:
        return None


def with_custom_fields(base):
    """``base`` (a FAB form class) whose ``refresh`` adds the custom fields defined now."""

    class WithCustomFields(base):
        @classmethod
        def refresh(cls, obj=None):
            fields = {
                field_name(name): CustomField(
                    name,
                    validators=[Optional(), Length(max=custom_fields.MAX_LENGTH), _one_line],
                    description=_l("Custom field, added on a customer-sync mapping page."),
                    widget=BS3TextFieldWidget(),
                )
                for name in custom_fields.defined()
            }
            return type("CompanyForm", (base,), fields)(obj=obj)

    return WithCustomFields


def _custom_columns(form) -> list[str]:
    return [name for name in form._fields if name.startswith(FIELD_PREFIX)]


class CustomFieldsMixin:
    """For CompanyView: custom fields on its form and page."""

    def _init_forms(self):
        super()._init_forms()
        self.add_form = with_custom_fields(self.add_form)
        self.edit_form = with_custom_fields(self.edit_form)

    def _get_add_widget(self, form, exclude_cols=None, widgets=None):
        widgets = widgets or {}
        widgets["add"] = self.add_widget(
            form=form,
            include_cols=list(self.add_columns) + _custom_columns(form),
            exclude_cols=exclude_cols or [],
            fieldsets=self.add_fieldsets,
        )
        return widgets

    def _get_edit_widget(self, form, exclude_cols=None, widgets=None):
        widgets = widgets or {}
        widgets["edit"] = self.edit_widget(
            form=form,
            include_cols=list(self.edit_columns) + _custom_columns(form),
            exclude_cols=exclude_cols or [],
            fieldsets=self.edit_fieldsets,
        )
        return widgets

    def prefill_form(self, form, pk):
        values = custom_fields.values_of(self.datamodel.get(pk))
        for name in custom_fields.defined():
            form[field_name(name)].data = values.get(name)

    def process_form(self, form, is_created):
        # Per request (g), not on the view: one view object serves every request.
        g.custom_field_values = {
            form[column].label.text: form[column].data for column in _custom_columns(form)
        }

    def _set_custom_fields(self, item) -> None:
        values = g.pop("custom_field_values", None)
        if values:
            custom_fields.set_values(item, values, g.user)

    def csv_extra_columns(self, model):
        """The CSV's custom-field columns, after the standard ones, headed by their name."""
        dialect = self.datamodel.session.get_bind().dialect.name
        return custom_fields.csv_columns(model.custom_fields, dialect)

    def render_template(self, template, **kwargs):
        if template == self.show_template and kwargs.get("pk") is not None:
            company = self.datamodel.get(kwargs["pk"])
            kwargs["custom_fields"] = custom_fields.shown(company) if company else []
        return super().render_template(template, **kwargs)
