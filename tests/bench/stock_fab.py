"""The baseline of the scale benchmark: a stock Flask-AppBuilder app over Renkei's tables.

Plain ``ModelView``s on the same SQLAlchemy models, with the columns, filters, order and
50-row pages of Renkei's deal and invoice screens, FAB's own security manager and login,
and nothing of Renkei's (no rules, no rights cache, no templates). The CSV baseline is the
plain query export: the deal list's CSV columns read with one joined query on a
server-side cursor and streamed in chunks.

``python -m tests.bench.stock_fab`` once per data set adds the views' permissions to the
Admin role (FAB_UPDATE_PERMS), so the served workers do not race to write them.
"""

from __future__ import annotations

import csv
import io
import os
import sys

from flask import Flask, Response, stream_with_context
from flask_appbuilder import AppBuilder, BaseView, ModelView, expose, has_access
from flask_appbuilder.models.sqla import Model
from flask_appbuilder.models.sqla.base import SQLA
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import select
from sqlalchemy.orm import aliased

import app.models  # noqa: F401  (every table of the metadata, as Renkei has them)
from app.models.crm import Company, Contact, Deal, DealLine, DealType
from app.models.documents import Document, DocumentLine
from app.views.crm import DealLineView, DealView
from app.views.documents import DocumentView


class StockDealLineView(ModelView):
    datamodel = SQLAInterface(DealLine)
    list_columns = list(DealLineView.list_columns)
    base_order = ("position", "asc")


class StockDealView(ModelView):
    datamodel = SQLAInterface(Deal)
    page_size = 50
    # The same columns, order and filters as Renkei's deal list and page.
    list_columns = list(DealView.list_columns)
    order_columns = list(DealView.order_columns)
    search_columns = list(DealView.search_columns)
    show_columns = list(DealView.show_columns)
    base_order = ("id", "desc")
    related_views = [StockDealLineView]


class StockInvoiceLineView(ModelView):
    datamodel = SQLAInterface(DocumentLine)
    list_columns = [
        "position",
        "name",
        "unit_price",
        "quantity",
        "unit",
        "discount_percent",
        "tax_rate",
        "amount",
    ]
    base_order = ("position", "asc")


class StockInvoiceView(ModelView):
    datamodel = SQLAInterface(Document)
    base_filters = [["kind", FilterEqual, "invoice"]]
    page_size = 50
    # Renkei's invoice list, its derived "overdue" state shown as the stored state.
    list_columns = [
        "state" if name == "display_state" else name for name in DocumentView.list_columns
    ]
    order_columns = list(DocumentView.order_columns)
    search_columns = list(DocumentView.search_columns)
    show_columns = [
        "number",
        "state",
        "legal_entity",
        "company",
        "contact",
        "recipient_name",
        "recipient_email",
        "currency",
        "issue_date",
        "transaction_date",
        "due_date",
        "terms",
        "notes",
        "created_by_automation",
    ]
    base_order = ("id", "desc")
    related_views = [StockInvoiceLineView]


CSV_HEADER = [
    "id",
    "title",
    "company",
    "contact",
    "deal_type",
    "stage",
    "probability",
    "currency",
    "amount",
    "owner",
    "expected_close_date",
    "billing_status",
    "updated_at",
]


def _deal_rows(session):
    """The deal CSV's columns from one joined query, read in batches from the server."""
    owner = aliased(User)
    stmt = (
        select(
            Deal.id,
            Deal.title,
            Company.name,
            Contact.name,
            DealType.name,
            Deal.stage,
            Deal.probability,
            Deal.currency,
            Deal.amount,
            owner.username,
            Deal.expected_close_date,
            Deal.billing_status,
            Deal.updated_at,
        )
        .join(Company, Company.id == Deal.company_id)
        .outerjoin(Contact, Contact.id == Deal.contact_id)
        .outerjoin(DealType, DealType.id == Deal.deal_type_id)
        .outerjoin(owner, owner.id == Deal.owner_id)
        .order_by(Deal.id.desc())
    )
    result = session.execute(stmt, execution_options={"yield_per": 2000})
    yield from result


class StockCsvView(BaseView):
    route_base = "/stockcsv"
    default_view = "deals"

    @expose("/deals")
    @has_access
    def deals(self):
        session = self.appbuilder.session

        def generate():
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            writer.writerow(CSV_HEADER)
            for n, row in enumerate(_deal_rows(session), 1):
                writer.writerow(row)
                if n % 1000 == 0:
                    yield buffer.getvalue()
                    buffer.seek(0)
                    buffer.truncate()
            yield buffer.getvalue()

        return Response(stream_with_context(generate()), mimetype="text/csv")


def create(update_perms: bool = False) -> tuple[Flask, SQLA]:
    """The stock app on DATABASE_URL (the same database as Renkei's)."""
    app = Flask("stock_fab")
    app.config.update(
        SECRET_KEY=os.environ["SECRET_KEY"],
        SQLALCHEMY_DATABASE_URI=os.environ["DATABASE_URL"],
        SQLALCHEMY_TRACK_MODIFICATIONS=False,
        AUTH_ROLE_ADMIN="Admin",
        AUTH_ROLE_PUBLIC="Public",
        FAB_CREATE_DB=False,
        FAB_UPDATE_PERMS=update_perms,
        FAB_ADD_SECURITY_API=False,
        FAB_ADD_OPENAPI_VIEWS=False,
        WTF_CSRF_ENABLED=True,
        SESSION_COOKIE_NAME="stock_session",
    )
    db = SQLA(model_class=Model)
    db.init_app(app)
    with app.app_context():
        appbuilder = AppBuilder()
        appbuilder.init_app(app, db.session)
        appbuilder.add_view_no_menu(StockDealLineView)
        appbuilder.add_view_no_menu(StockInvoiceLineView)
        appbuilder.add_view(StockDealView, "Deals", category="Stock")
        appbuilder.add_view(StockInvoiceView, "Invoices", category="Stock")
        appbuilder.add_view_no_menu(StockCsvView)
        if update_perms:
            appbuilder.add_permissions(update_perms=True)
    return app, db


if __name__ == "__main__":
    made, _ = create(update_perms=True)
    print("stock FAB permissions ready", file=sys.stderr)
