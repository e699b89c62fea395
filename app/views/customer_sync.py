"""Customer sync screens (issue 16): a connection's settings in the seed's five steps,
run now / pause / resume, the import history with each record's outcome and Retry, and
"Fetch from provider" (search the provider's customers, take one in).

Thin: parse the form, call app.services.sync.customer_runs, flash, redirect.
Permissions: resource "CustomerSync" (app.security.permissions.CUSTOMER_SYNC_VERBS).
"""

from __future__ import annotations

import json

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models.connection import Connection
from app.models.customer_sync import (
    DUPLICATES,
    EXTENTS,
    MAX_CUSTOM_FIELDS,
    MODULES,
    SyncOutcome,
)
from app.models.sync import SyncRun
from app.security.permissions import CUSTOMER_SYNC_VERBS
from app.services import custom_fields
from app.services.errors import RenkeiError

MODULE_LABELS = {
    "companies": _l("Companies"),
    "contacts": _l("Contacts"),
    "companies_contacts": _l("Companies with their contacts"),
}
EXTENT_LABELS = {
    "to_provider": _l("Renkei → provider"),
    "from_provider": _l("Provider → Renkei"),
    "both": _l("Both ways"),
}
DUPLICATE_LABELS = {"skip": _l("Skip"), "overwrite": _l("Overwrite (merge into one)")}
OUTCOME_LABELS = {
    "created": _l("Created"),
    "updated": _l("Updated"),
    "skipped": _l("Skipped"),
    "failed": _l("Failed"),
    "conflict": _l("Conflict"),
}


def _service():
    from app.services.sync import customer_runs

    return customer_runs


def parse_mapping(text: str) -> list[dict]:
    """Mapping rows from the form: one ``ours = theirs`` a line."""
    rows = []
    for line in (text or "").splitlines():
        if "=" in line:
            ours, theirs = (part.strip() for part in line.split("=", 1))
            if ours and theirs:
                rows.append({"ours": ours, "theirs": theirs})
    return rows


def mapping_text(setting) -> str:
    rows = json.loads(setting.field_map or "[]")
    return "\n".join(f"{r['ours']} = {r['theirs']}" for r in rows)


class CustomerSyncView(BaseView):
    route_base = "/customersync"
    default_view = "index"
    class_permission_name = "CustomerSync"
    method_permission_name = CUSTOMER_SYNC_VERBS

    def _connection(self, pk) -> Connection:
        connection = db.session.get(Connection, pk)
        if connection is None:
            abort(404)
        return connection

    def _back(self, pk):
        return redirect(url_for(".settings", pk=pk))

    @expose("/")
    @has_access
    def index(self):
        connections = db.session.query(Connection).order_by(Connection.name).all()
        return self.render_template("renkei/customer_sync_index.html", connections=connections)

    @expose("/<int:pk>/settings")
    @has_access
    def settings(self, pk):
        connection = self._connection(pk)
        setting = _service().settings_of(connection)
        return self.render_template(
            "renkei/customer_sync_settings.html",
            connection=connection,
            setting=setting,
            mapping=mapping_text(setting),
            modules=[(m, MODULE_LABELS[m]) for m in MODULES],
            extents=[(e, EXTENT_LABELS[e]) for e in EXTENTS],
            duplicates=[(d, DUPLICATE_LABELS[d]) for d in DUPLICATES],
            custom_names=custom_fields.defined(),
            max_custom=MAX_CUSTOM_FIELDS,
        )

    @expose("/<int:pk>/settings", methods=["POST"])
    @has_access
    def save(self, pk):
        connection = self._connection(pk)
        form = request.form
        schedule = form.get("schedule_minutes", type=int)
        values = dict(
            modules=form.get("modules", "companies"),
            include_orphan_contacts=bool(form.get("include_orphan_contacts")),
            extent=form.get("extent", "to_provider"),
            duplicates=form.get("duplicates", "skip"),
            company_filter=form.get("company_filter") or None,
            contact_filter=form.get("contact_filter") or None,
            product_filter=form.get("product_filter") or None,
            field_map=parse_mapping(form.get("field_map", "")),
            sync_products=bool(form.get("sync_products")),
            product_extent=form.get("product_extent", "to_provider"),
            schedule_minutes=schedule if schedule and schedule > 0 else None,
            run_after_change=bool(form.get("run_after_change")),
        )
        if values["modules"] not in MODULES or values["extent"] not in EXTENTS:
            abort(400)
        if values["duplicates"] not in DUPLICATES or values["product_extent"] not in EXTENTS:
            abort(400)
        try:
            _service().save_settings(connection, g.user, **values)
            flash(str(_l("Customer sync settings saved.")), "success")
        except RenkeiError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        return self._back(pk)

    @expose("/<int:pk>/customfield", methods=["POST"])
    @has_access
    def add_custom_field(self, pk):
        connection = self._connection(pk)
        try:
            name = _service().add_custom_field(
                connection, g.user, request.form.get("theirs", ""), request.form.get("name", "")
            )
            flash(
                str(_l("Custom field %(name)s added: it is on every company's form.", name=name)),
                "success",
            )
        except RenkeiError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        return self._back(pk)

    def _toggle(self, pk, paused: bool):
        connection = self._connection(pk)
        try:
            _service().set_paused(connection, g.user, paused)
        except RenkeiError as exc:
            flash(str(exc), "danger")
        return self._back(pk)

    @expose("/<int:pk>/pause", methods=["POST"])
    @has_access
    def pause(self, pk):
        return self._toggle(pk, True)

    @expose("/<int:pk>/resume", methods=["POST"])
    @has_access
    def resume(self, pk):
        return self._toggle(pk, False)

    @expose("/<int:pk>/run", methods=["POST"])
    @has_access
    def run(self, pk):
        connection = self._connection(pk)
        try:
            run = _service().request_customer_sync(connection, g.user)
        except RenkeiError as exc:
            flash(str(exc), "danger")
            return self._back(pk)
        flash(str(_l("Customer sync queued.")), "info")
        return redirect(url_for(".run_show", run_id=run.id))

    @expose("/<int:pk>/history")
    @has_access
    def history(self, pk):
        connection = self._connection(pk)
        runs = (
            db.session.query(SyncRun)
            .filter_by(connection_id=pk, kind="customer_sync")
            .order_by(SyncRun.id.desc())
            .limit(100)
            .all()
        )
        return self.render_template(
            "renkei/customer_sync_history.html", connection=connection, runs=runs
        )

    @expose("/run/<int:run_id>")
    @has_access
    def run_show(self, run_id):
        run = db.session.get(SyncRun, run_id)
        if run is None or run.kind != "customer_sync":
            abort(404)
        outcomes = (
            db.session.query(SyncOutcome).filter_by(run_id=run_id).order_by(SyncOutcome.id).all()
        )
        return self.render_template(
            "renkei/customer_sync_run.html",
            run=run,
            outcomes=outcomes,
            labels=OUTCOME_LABELS,
            may_run=self.appbuilder.sm.has_access("can_run", "CustomerSync"),
        )

    @expose("/retry/<int:outcome_id>", methods=["POST"])
    @has_access
    def retry(self, outcome_id):
        outcome = db.session.get(SyncOutcome, outcome_id)
        if outcome is None:
            abort(404)
        try:
            run = _service().retry_outcome(outcome, g.user)
        except RenkeiError as exc:
            flash(str(exc), "danger")
            return redirect(url_for(".run_show", run_id=outcome.run_id))
        return redirect(url_for(".run_show", run_id=run.id))

    @expose("/<int:pk>/fetch")
    @has_access
    def fetch(self, pk):
        connection = self._connection(pk)
        text = request.args.get("q", "")
        found, error = [], None
        try:
            found = _service().search_provider(connection, g.user, text)
        except Exception as exc:  # the provider's words, shown on the page
            error = str(exc)
        return self.render_template(
            "renkei/customer_sync_fetch.html",
            connection=connection,
            text=text,
            found=found,
            error=error,
        )

    @expose("/<int:pk>/take/<external_id>", methods=["POST"])
    @has_access
    def take(self, pk, external_id):
        connection = self._connection(pk)
        try:
            company = _service().take_in(connection, g.user, external_id)
        except Exception as exc:  # the provider's or our words
            db.session.rollback()
            flash(str(exc), "danger")
            return redirect(url_for(".fetch", pk=pk))
        flash(str(_l("%(name)s taken in from the provider.", name=company.name)), "success")
        return redirect(url_for("CompanyView.show", pk=company.id))
