"""Profiles editor: one page per profile, a grid of resources × verbs to tick."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import lazy_gettext as _l

from app.models.document_kinds import KINDS
from app.services.profiles import matrix_for, save_matrix
from app.views.refusals import back_to

# Names in the grid, translated; a resource or verb without a label shows its code.
LABELS = {
    "read": _l("View"),
    "write": _l("Create & edit"),
    "delete": _l("Delete"),
    "send_email": _l("Send by email"),
    "approve": _l("Approve"),
    "record_payment": _l("Record payments"),
    "create_at_provider": _l("Create at provider"),
    "refresh_statuses": _l("Refresh billing statuses"),
    "manage": _l("Manage"),
    "retry": _l("Retry"),
    "Deal": _l("Deals"),
    "Company": _l("Companies"),
    "Contact": _l("Contacts"),
    "Product": _l("Products"),
    "DealType": _l("Deal types"),
    "Connection": _l("Connections"),
    **{kind.resource: kind.plural for kind in KINDS.values()},
    "Document": _l("Documents (all types)"),
    "ReceivablesSummary": _l("Receivables / payables summary"),
    "ProviderDocument": _l("Documents at providers"),
    "Profile": _l("Profiles"),
    "SyncHistory": _l("Sync history"),
    "CustomerSync": _l("Customer sync"),
    "Milestone": _l("Milestones"),
    "TimeEntry": _l("Time entries"),
    "mark_done": _l("Mark deliveries done"),
    "invoice": _l("Make invoices"),
    "SalesOrder": _l("Orders and shipments"),
    "BillingSetting": _l("Billing settings"),
    "ship": _l("Post shipments"),
    "bill": _l("Invoice shipments and close periods"),
}


class ProfilesView(BaseView):
    route_base = "/profiles"
    default_view = "index"
    class_permission_name = "Profile"
    method_permission_name = {"index": "manage", "edit": "manage", "save": "manage"}

    @expose("/")
    @has_access
    def index(self):
        """Every profile, each linking to its grid."""
        roles = [r for r in self.appbuilder.sm.get_all_roles() if r.name != "Public"]
        return self.render_template("renkei/profiles.html", roles=roles)

    @expose("/<int:role_id>")
    @has_access
    def edit(self, role_id):
        """The grid of one profile."""
        role = self._role(role_id)
        matrix = matrix_for(self.appbuilder.session, role)
        return self.render_template(
            "renkei/profile_edit.html", role=role, matrix=matrix, labels=LABELS
        )

    @expose("/<int:role_id>", methods=["POST"])
    @has_access
    def save(self, role_id):
        """Store the ticked permissions; they hold from the next request on."""
        role = self._role(role_id)
        ticked = set()
        for value in request.form.getlist("perm"):
            resource, _, verb = value.partition(":")
            ticked.add((resource, verb))
        back_to(url_for(".edit", role_id=role_id))
        save_matrix(self.appbuilder.session, role, ticked)
        flash(str(_l("Profile %(name)s saved.", name=role.name)), "success")
        return redirect(url_for(".edit", role_id=role_id))

    def _role(self, role_id):
        role = next((r for r in self.appbuilder.sm.get_all_roles() if r.id == role_id), None)
        if role is None:
            abort(404)
        return role
