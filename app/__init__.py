"""Renkei: a back-office console keeping a CRM, invoicing and accounting in step."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask_appbuilder import AppBuilder

BASE_DIR = Path(__file__).resolve().parent.parent


def create_app(overrides: dict | None = None) -> Flask:
    """Build the console: configuration, extensions, screens, APIs and CLI. Wiring only."""
    from app.api import register_apis
    from app.cli import register_cli
    from app.extensions import csrf, db, migrate
    from app.jobs import wire_jobs
    from app.security.manager import RenkeiSecurityManager
    from app.services.automation_hook import install as install_stage_automation
    from app.services.billing.orders import install as install_order_billing
    from app.services.bounds import install_bounds
    from app.services.deals import install_deal_rules
    from app.services.documents import install_document_rules
    from app.services.documents.issuer import install_issuer_freeze
    from app.services.exchange_rates import install_entity_rules
    from app.views import register_views
    from app.views.action_rights import install_action_rights
    from app.views.index import RenkeiIndexView
    from app.views.list_filters import install_list_filters
    from config import INSTANCE_DIR, load_config

    app = Flask(__name__, instance_path=str(INSTANCE_DIR))
    app.config.update(load_config())
    app.config.update(overrides or {})
    db.init_app(app)
    migrate.init_app(app, db, directory=str(BASE_DIR / "migrations"))
    # Before add_api(): FAB registers its JSON APIs CSRF-exempt through this object.
    csrf.init_app(app)
    install_deal_rules()
    install_document_rules()
    install_order_billing()  # a voided invoice's shipment lines are billable again
    install_bounds()  # after the rules above: it checks the amounts they compute
    install_issuer_freeze()
    install_entity_rules()  # rates, number prefixes, a connection's entity (0020_entities)
    install_stage_automation()  # after a deal's commit: its won/lost rules, as a job
    wire_jobs(app)  # services queue jobs through launchers; they never import a job
    with app.app_context():
        appbuilder = AppBuilder(
            security_manager_class=RenkeiSecurityManager,
            indexview=RenkeiIndexView,
            base_template="renkei/base.html",
        )
        appbuilder.init_app(app, db.session)
        register_views(appbuilder)
        install_action_rights(app)
        install_list_filters(app)
        register_apis(appbuilder)
    from app.views.refusals import install as install_refusals

    install_refusals(app)  # typed errors → flash and redirect, or 4xx JSON on /api/
    from app.ops.health import install as install_health

    install_health(app)  # /health and /ready for a load balancer
    if app.config["SANDBOX_ENABLED"]:
        _mount_sandboxes(app, csrf)
    if app.config["MAIL_SINK_ENABLED"]:
        from app.mail.demo import install_mail_sink

        install_mail_sink(app)  # the demo's SMTP sink and its page at /sandbox/mail/
    register_cli(app)
    return app


def _mount_sandboxes(app: Flask, csrf) -> None:
    """Serve the provider emulators under /sandbox (demo and tests only)."""
    from app.sandbox import register_sandboxes

    blueprints = register_sandboxes(
        app,
        state_path=app.config.get("SANDBOX_STATE_PATH"),
        validate=bool(app.config.get("SANDBOX_VALIDATE")),
    )
    for blueprint in blueprints:
        csrf.exempt(blueprint)
