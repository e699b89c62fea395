"""Connections screen (administrators): credentials, OAuth connect, pause, resume, disable."""

from __future__ import annotations

from flask import current_app, flash, redirect, request, url_for
from flask_appbuilder import ModelView, expose, has_access
from flask_appbuilder.fieldwidgets import (
    BS3PasswordFieldWidget,
    BS3TextFieldWidget,
    Select2Widget,
)
from flask_appbuilder.security.decorators import permission_name
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import Optional

from app.models.choices import currency_choices
from app.models.connection import Connection
from app.providers.catalog import PROVIDERS, ZOHO_DATA_CENTRES
from app.services import connections as verbs
from app.services import oauth_flow
from app.services.errors import RenkeiError
from app.views.datamodel import datamodel
from app.views.labels import LABELS
from app.views.refusals import back_to

STATUS_LABELS = {
    "new": _l("Not connected yet"),
    "connected": _l("Connected"),
    "paused": _l("Paused"),
    "disabled": _l("Disabled"),
    "error": _l("Error: reconnect"),
}


# The show page's fields above "Advanced" (optional ones only where the provider uses them).
SHOWN_FIELDS = [
    "name",
    "provider",
    "client_id",
    "organization_id",
    "data_centre",
    "legal_entity",
    "base_currency",
    "deal_types",
    "connected_at",
    "token_expires_at",
    "last_error",
]


def callback_url() -> str:
    """The redirect URI to register at the provider (one for every connection)."""
    return url_for("ConnectionView.oauth_callback", _external=True)


class ConnectionView(ModelView):
    route_base = "/connections"
    # Everything here is one permission: "manage connections" (administrators by default).
    class_permission_name = "Connection"
    method_permission_name = {
        name: "manage"
        for name in (
            "list",
            "show",
            "add",
            "edit",
            "delete",
            "download",
            "action",
            "action_post",
            "connect",
            "oauth_callback",
            "pause",
            "resume",
            "disable",
        )
    }
    datamodel = datamodel(Connection, coded=("provider", "status"))
    list_title = _l("Connections")
    show_title = add_title = edit_title = _l("Connection")
    show_template = "renkei/connection_show.html"
    label_columns = {
        **LABELS,
        "provider": _l("Provider"),
        "status": _l("Status"),
        "client_id": _l("Client ID"),
        "client_secret": _l("Client secret"),
        "scopes": _l("Scopes"),
        "data_centre": _l("Zoho data centre"),
        "organization_id": _l("Organization ID / company ID"),
        "base_currency": _l("Base currency"),
        "legal_entity": _l("Legal entity"),
        "api_base_url": _l("API base URL"),
        "authorize_url": _l("Authorization URL"),
        "token_url": _l("Token URL"),
        "deal_types": _l("Deal types synced"),
        "token_expires_at": _l("Access token expires"),
        "connected_at": _l("Connected at"),
        "last_error": _l("Last error"),
    }
    # Secrets (client secret, tokens) are never listed, shown or exported.
    list_columns = [
        "name",
        "provider",
        "status",
        "legal_entity",
        "base_currency",
        "deal_types",
        "token_expires_at",
        "last_error",
    ]
    show_columns = [
        "name",
        "provider",
        "status",
        "client_id",
        "scopes",
        "data_centre",
        "organization_id",
        "legal_entity",
        "base_currency",
        "deal_types",
        "api_base_url",
        "authorize_url",
        "token_url",
        "connected_at",
        "token_expires_at",
        "last_error",
    ]
    # What people fill in first; the technical URLs and scopes under "Advanced", folded.
    MAIN_FIELDS = [
        "provider",
        "name",
        "client_id",
        "client_secret",
        "organization_id",
        "data_centre",
        "legal_entity",
        "base_currency",
        "deal_types",
    ]
    ADVANCED_FIELDS = ["scopes", "api_base_url", "authorize_url", "token_url"]
    add_fieldsets = edit_fieldsets = [
        (_l("Connection"), {"fields": MAIN_FIELDS}),
        (_l("Advanced"), {"fields": ADVANCED_FIELDS, "expanded": False}),
    ]
    add_template = "renkei/connection_add.html"
    extra_args = {
        "connection_page": lambda pk: ConnectionView.page_of(pk),
        "provider_fields": verbs.fields_by_provider,
    }
    search_columns = ["name", "provider", "status"]
    search_form_extra_fields = {
        "provider": SelectField(
            _l("Provider"),
            widget=Select2Widget(),
            choices=[(k, p.label) for k, p in PROVIDERS.items()],
        ),
        "status": SelectField(
            _l("Status"), widget=Select2Widget(), choices=list(STATUS_LABELS.items())
        ),
    }
    formatters_columns = {
        "provider": lambda p: PROVIDERS[p].label if p in PROVIDERS else p,
        "status": lambda s: STATUS_LABELS.get(s, s),
        "data_centre": lambda d: ZOHO_DATA_CENTRES.get(d, d or ""),
        "deal_types": lambda types: ", ".join(map(str, types)) or str(_l("All deal types")),
    }
    description_columns = {
        "client_secret": _l("Stored encrypted. Leave blank to keep the current secret."),
        "deal_types": _l("Only deals of these types are sent. None selected: every deal."),
        "legal_entity": _l(
            "Only documents issued by this legal entity go to this connection. "
            "Blank: the first legal entity."
        ),
        "api_base_url": _l("Blank: the provider's real API. Point it at a sandbox to test."),
        "scopes": _l("Blank: the provider's default (Money Forward: mfc/invoice/data.write)."),
        "name": LazyString(
            lambda: str(_l("Redirect URI to register at the provider: %(u)s", u=callback_url()))
        ),
    }
    # Blank means "the provider's default": these may be left empty in the form.
    add_form_extra_fields = edit_form_extra_fields = {
        **{
            name: StringField(label, validators=[Optional()], widget=BS3TextFieldWidget())
            for name, label in (
                ("scopes", _l("Scopes")),
                ("api_base_url", _l("API base URL")),
                ("authorize_url", _l("Authorization URL")),
                ("token_url", _l("Token URL")),
            )
        },
        "provider": SelectField(
            _l("Provider"),
            widget=Select2Widget(),
            choices=[(k, p.label) for k, p in PROVIDERS.items()],
        ),
        "client_secret": PasswordField(
            _l("Client secret"), validators=[Optional()], widget=BS3PasswordFieldWidget()
        ),
        "data_centre": SelectField(
            _l("Zoho data centre"),
            widget=Select2Widget(),
            choices=[("", "")] + list(ZOHO_DATA_CENTRES.items()),
            validators=[Optional()],
        ),
        "base_currency": SelectField(
            _l("Base currency"), widget=Select2Widget(), choices=currency_choices()
        ),
    }

    @staticmethod
    def page_of(pk) -> dict | None:
        """The show page's parts: status, the verbs that apply now, the provider's fields
        (only those it uses) and the technical ones for "Advanced"."""
        view = next(v for v in current_app.appbuilder.baseviews if isinstance(v, ConnectionView))
        item = view.datamodel.get(pk)
        if item is None:
            return None
        unused = set(verbs.unused_fields(item.provider))
        main = [c for c in SHOWN_FIELDS if c not in unused]

        def shown(columns):
            values = view.datamodel.get_values_item(item, columns)
            return [
                (view.label_columns.get(c, c), view.formatters_columns.get(c, lambda v: v)(v))
                for c, v in zip(columns, values, strict=True)
            ]

        return {
            "status": item.status,
            "status_label": STATUS_LABELS.get(item.status, item.status),
            "verbs": verbs.available_verbs(item),
            "main": shown(main),
            "advanced": shown(ConnectionView.ADVANCED_FIELDS),
        }

    def _get_edit_widget(self, form, exclude_cols=None, widgets=None):
        """The edit form leaves out the optional fields the provider does not use."""
        item = self.datamodel.get(request.view_args.get("pk"))
        unused = verbs.unused_fields(item.provider if item is not None else None)
        return super()._get_edit_widget(form, [*(exclude_cols or []), *unused], widgets)

    def pre_add(self, item):
        self._checked(item)

    def process_form(self, form, is_created):
        """A blank secret on edit means "keep": the field leaves the form before it fills
        the record (restoring it afterwards fails once an autoflush has written it)."""
        if not is_created:
            verbs.keep_blank_secret(form)

    def pre_update(self, item):
        self._checked(item)

    def _checked(self, item):
        """Defaults and URL rules; a refusal also drops what the form wrote into the
        session, so nothing later in the request can save it."""
        try:
            verbs.apply_defaults(item)
        except RenkeiError:  # FAB flashes it; the boundary does not see it
            self.datamodel.session.rollback()
            raise

    def _verb(self, pk, verb, done):
        connection = self.datamodel.get(pk)
        if connection is None:
            flash(str(_l("No such connection.")), "danger")
            return redirect(url_for(".list"))
        back_to(url_for(".show", pk=pk))
        verb(connection)
        self.datamodel.session.commit()
        flash(str(done), "success")
        return redirect(url_for(".show", pk=pk))

    @expose("/pause/<int:pk>", methods=["POST"])
    @has_access
    @permission_name("pause")
    def pause(self, pk):
        """Pause syncing through this connection."""
        return self._verb(pk, verbs.pause, _l("Connection paused."))

    @expose("/resume/<int:pk>", methods=["POST"])
    @has_access
    @permission_name("pause")
    def resume(self, pk):
        """Resume syncing through this connection."""
        return self._verb(pk, verbs.resume, _l("Connection resumed."))

    @expose("/disable/<int:pk>", methods=["POST"])
    @has_access
    @permission_name("disable")
    def disable(self, pk):
        """Disable the integration and forget its tokens."""
        return self._verb(pk, verbs.disable, _l("Connection disabled; its tokens are erased."))

    @expose("/connect/<int:pk>", methods=["POST"])
    @has_access
    @permission_name("connect")
    def connect(self, pk):
        """Send the browser to the provider to grant access (authorization-code flow)."""
        connection = self.datamodel.get(pk)
        if connection is None:
            return redirect(url_for(".list"))
        back_to(url_for(".show", pk=pk))  # refused (no client secret yet, …): say so there
        verbs.check_provider_urls(connection)
        url = oauth_flow.begin(connection, callback_url())
        self.datamodel.session.commit()
        return redirect(url)

    @expose("/oauth/callback")
    @has_access
    @permission_name("connect")
    def oauth_callback(self):
        """The provider sends the browser back here with a code (or an error) and our state."""
        session = self.datamodel.session
        # The state is used up even when the answer is refused: keep it (commit).
        back_to(url_for(".list"), keep_changes=True)
        connection = oauth_flow.complete(session, request.args, callback_url())
        session.commit()
        flash(str(_l("Connected to %(name)s.", name=connection.name)), "success")
        return redirect(url_for(".show", pk=connection.id))
