"""Sync screens: the deal page's provider documents and buttons, the deal list's refresh
action, a run's progress (JSON for renkei-progress.js) and the sync history.

Views stay thin: they parse the request, call app.services.sync, flash and redirect.
The engine is imported when a button is pressed, so the screens load without it.
"""

from __future__ import annotations

import io

from flask import abort, flash, g, jsonify, redirect, request, send_file, url_for
from flask_appbuilder import ModelView, action, expose, has_access
from flask_appbuilder.fieldwidgets import Select2Widget
from flask_appbuilder.security.decorators import permission_name
from flask_babel import lazy_gettext as _l
from wtforms import SelectField

from app.models.choices import BILLING_STATUS_LABELS
from app.models.connection import Connection
from app.models.sync import ExternalDocument, SyncFailure, SyncRun
from app.security.permissions import SYNC_HISTORY_VERBS
from app.services.automation_void import VOID_RUN
from app.views.action_rights import needs_right
from app.views.datamodel import datamodel
from app.views.labels import LABELS
from app.views.money import local_time
from app.views.refusals import back_to

CREATE_AT_PROVIDER = ("can_create_at_provider", "ProviderDocument")
REFRESH_STATUSES = ("can_refresh_statuses", "ProviderDocument")
SYNC_HISTORY_READ = ("can_read", "SyncHistory")

RUN_KIND_LABELS = {
    "create_invoice": _l("Create invoice"),
    "refresh_statuses": _l("Refresh status"),
    "scheduled_refresh": _l("Scheduled refresh"),
    "retry": _l("Retry"),
    "customer_sync": _l("Customer sync"),
    "void_at_provider": _l("Void at provider"),
}
RUN_STATUS_LABELS = {
    "queued": _l("Queued"),
    "running": _l("Running"),
    "finished": _l("Finished"),
    "failed": _l("Failed"),
    "unknown": _l("Unknown"),
}


def _engine():
    from app.services import sync

    return sync


def billing_label(code):
    return BILLING_STATUS_LABELS.get(code, code)


def document_rows(deal_id: int) -> list[dict]:
    """The deal page's tabs: every usable connection with the deal's links there."""
    from app.views.deal_documents import provider_tabs

    return provider_tabs(deal_id)


def renkei_documents(deal_id: int) -> list[dict]:
    """Every Renkei document of the deal, each with its provider links."""
    from app.views.deal_documents import deal_documents

    return deal_documents(deal_id)


def can_create_at_provider(appbuilder) -> bool:
    return appbuilder.sm.has_access(*CREATE_AT_PROVIDER)


def _list_arguments(list_path: str) -> dict:
    """The filters, order and page of the list the request came from (its Referer), when
    that is this list on this site; a bulk action's redirect keeps them."""
    from urllib.parse import parse_qs, urlsplit

    referrer = urlsplit(request.referrer or "")
    if referrer.path != list_path or (referrer.netloc and referrer.netloc != request.host):
        return {}
    kept = parse_qs(referrer.query)
    kept.pop("run", None)
    kept.pop("shown", None)
    return kept


def may_watch(appbuilder, run) -> bool:
    """Whether the signed-in user may see ``run``'s progress."""
    user = g.user
    mine = run.started_by_id is not None and run.started_by_id == getattr(user, "id", None)
    return mine or appbuilder.sm.has_access(*SYNC_HISTORY_READ)


class DealSyncMixin:
    """DealView's sync routes (permissions: app.security.permissions.SCREEN_VERBS)."""

    def _started(self, run, done, endpoint, **values):
        self.datamodel.session.commit()
        flash(str(done), "info")
        if endpoint == ".list":  # back to the list as it was filtered, with the run's panel
            values = {**_list_arguments(url_for(".list")), **values}
        return redirect(url_for(endpoint, **{**values, "run": run.id}))

    @expose("/create_invoice/<int:pk>/<int:connection_id>", methods=["POST"])
    @has_access
    @permission_name("create_invoice")
    def create_invoice(self, pk, connection_id):
        """Create the deal's invoice at the provider (refused without ProviderDocument)."""
        if not can_create_at_provider(self.appbuilder):
            abort(403)
        session = self.datamodel.session
        deal = self.datamodel.get(pk)
        connection = session.get(Connection, connection_id)
        if deal is None or connection is None:
            flash(str(_l("No such deal or connection.")), "danger")
            return redirect(url_for(".list"))
        from app.views.deal_documents import document_row

        back_to(url_for(".show", pk=pk))
        confirm = request.form.get("confirm", type=int)
        try:
            issued = _engine().invoice_deal(deal, connection, g.user, confirm=confirm)
        except _engine().NeedsConfirmation as question:
            return self.render_template(
                "renkei/confirm_invoice.html",
                deal=deal,
                connection=connection,
                question=str(question),
                existing=[document_row(d, []) for d in question.existing],
                newest_id=question.newest_id,
            )
        number = issued.link.document.number if issued.link.document else ""
        if issued.run is None:
            if issued.link.external_id:
                flash(str(_l("%(number)s is already issued there.", number=number)), "info")
            else:
                flash(
                    str(
                        _l(
                            "%(number)s waits for approval; it is issued at %(name)s once "
                            "approved.",
                            number=number,
                            name=connection.name,
                        )
                    ),
                    "info",
                )
            return redirect(url_for(".show", pk=pk))
        return self._started(issued.run, _l("Issuing %(number)s…", number=number), ".show", pk=pk)

    @expose("/refresh/<int:pk>", methods=["POST"])
    @has_access
    @permission_name("refresh")
    def refresh(self, pk):
        """Pull this deal's billing status from the providers."""
        return self._refresh([pk], ".show", pk=pk)

    @expose("/refresh_all", methods=["POST"])
    @has_access
    @permission_name("refresh_all")
    def refresh_all(self):
        """Pull every deal's billing status."""
        return self._refresh(None, ".list")

    @needs_right(*REFRESH_STATUSES)
    @action(
        "refresh_billing",
        _l("Refresh billing status"),
        _l("Refresh the billing status of the selected deals?"),
        "fa-sync",
        multiple=True,
        single=False,
    )
    def refresh_billing(self, items):
        """Bulk action of the deal list."""
        items = items if isinstance(items, list) else [items]
        return self._refresh([item.id for item in items if item is not None], ".list")

    def _refresh(self, deal_ids, endpoint, **values):
        if not self.appbuilder.sm.has_access(*REFRESH_STATUSES):
            abort(403)  # it calls the providers: not for read-only profiles
        if deal_ids is not None and not all(self.datamodel.get(pk) for pk in deal_ids):
            flash(str(_l("No such deal.")), "danger")
            return redirect(url_for(".list"))
        back_to(url_for(endpoint, **values))
        run = _engine().request_status_refresh(g.user, deal_ids)
        return self._started(run, _l("Refreshing billing status…"), endpoint, **values)

    @expose("/provider_document/<int:document_id>")
    @has_access
    @permission_name("provider_document")
    def provider_document(self, document_id):
        """Open one of a deal's documents at its provider: a redirect to the provider's
        page for it, or its PDF fetched with the connection's token and passed on. A
        provider's refusal is flashed on the deal page, never a 500."""
        document = self.datamodel.session.get(ExternalDocument, document_id)
        if document is None:
            flash(str(_l("No such document.")), "danger")
            return redirect(url_for(".list"))
        deal_id = document.deal_id
        if deal_id is not None:
            back_to(url_for(".show", pk=deal_id))
        opened = _engine().open_at_provider(document)
        if isinstance(opened, str):
            return redirect(opened)
        return send_file(
            io.BytesIO(opened.content),
            mimetype=opened.mimetype,
            download_name=opened.filename,
            as_attachment=False,
            max_age=0,
        )

    @expose("/progress/<int:run_id>")
    @has_access
    @permission_name("progress")
    def progress(self, run_id):
        """A run's progress as JSON, polled by renkei-progress.js: for the person who
        started the run, or whoever may read the sync history; others get the same 404
        as for a missing run, so run ids reveal nothing."""
        run = self.datamodel.session.get(SyncRun, run_id)
        if run is None or not may_watch(self.appbuilder, run):
            return jsonify({"error": str(_l("No such run."))}), 404
        return jsonify(_engine().run_progress(run))


class SyncRunView(ModelView):
    """Integrations → Sync history: every run, its failures and a Retry per failure."""

    route_base = "/sync/history"
    class_permission_name = "SyncHistory"
    method_permission_name = SYNC_HISTORY_VERBS
    base_permissions = ["can_read", "can_retry"]
    datamodel = datamodel(SyncRun, coded=("kind", "status"))
    list_title = _l("Sync history")
    show_title = _l("Sync run")
    show_template = "renkei/sync_run_show.html"
    label_columns = {
        **LABELS,
        "queued_at": _l("When"),
        "started_by": _l("Started by"),
        "kind": _l("Kind"),
        "connection": _l("Connection"),
        "status": _l("Status"),
        "total": _l("Total"),
        "done": _l("Done"),
        "created": _l("Documents created"),
        "updated": _l("Documents updated"),
        "failed": _l("Failures (count)"),
        "api_calls": _l("API calls"),
        "started_at": _l("Started at"),
        "finished_at": _l("Finished at"),
        "message": _l("Message"),
    }
    list_columns = [
        "queued_at",
        "started_by",
        "kind",
        "connection",
        "status",
        "created",
        "updated",
        "failed",
        "api_calls",
    ]
    show_columns = [
        "queued_at",
        "started_by",
        "kind",
        "connection",
        "status",
        "total",
        "done",
        "created",
        "updated",
        "failed",
        "api_calls",
        "started_at",
        "finished_at",
        "message",
    ]
    search_columns = ["kind", "status", "connection", "queued_at"]
    search_form_extra_fields = {
        "kind": SelectField(
            _l("Kind"), widget=Select2Widget(), choices=list(RUN_KIND_LABELS.items())
        ),
        "status": SelectField(
            _l("Status"), widget=Select2Widget(), choices=list(RUN_STATUS_LABELS.items())
        ),
    }
    base_order = ("id", "desc")
    formatters_columns = {
        "kind": lambda k: RUN_KIND_LABELS.get(k, k),
        "status": lambda s: RUN_STATUS_LABELS.get(s, s),
        "started_by": lambda u: u or _l("Scheduler"),
    }
    extra_args = {
        "run_failures": lambda pk: SyncRunView.failures_of(pk),
        "local_time": local_time,
    }

    @staticmethod
    def failures_of(pk):
        from app.extensions import db

        return (
            db.session.query(SyncFailure)
            .filter(SyncFailure.run_id == pk)
            .order_by(SyncFailure.id)
            .all()
        )

    @expose("/retry/<int:pk>", methods=["POST"])
    @has_access
    @permission_name("retry")
    def retry(self, pk):
        """Retry one failure (creating a document is idempotent: never a duplicate)."""
        session = self.datamodel.session
        failure = session.get(SyncFailure, pk)
        if failure is None:
            flash(str(_l("No such failure.")), "danger")
            return redirect(url_for(".list"))
        back_to(url_for(".show", pk=failure.run_id))
        if failure.run.kind == VOID_RUN:  # stage automation's void: the rule again, once
            from app.services import automation

            run = automation.retry_void_run(failure, g.user)
        else:
            run = _engine().retry_failure(failure, g.user)
        session.commit()
        flash(str(_l("Retrying…")), "info")
        return redirect(url_for(".show", pk=run.id, run=run.id))
