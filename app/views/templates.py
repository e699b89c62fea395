"""Settings → Templates: every version of each PDF layout and email, the body of each,
"propose a new version" (a pending version, test-rendered first) and approve / reject.
Versions are never edited or deleted: the PDFs made from them keep pointing at them."""

from __future__ import annotations

from flask import Response, abort, flash, g, redirect, request, url_for
from flask_appbuilder import ModelView, expose, has_access
from flask_appbuilder.models.sqla.filters import FilterEqual, SQLAFilterConverter
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.models.documents import DOCUMENT_KINDS, LegalEntity
from app.models.publishing import DocumentTemplate
from app.security.permissions import TEMPLATE_VERBS
from app.security.rights import user_may
from app.services.documents.lifecycle import KIND_LABELS
from app.services.documents.templates import SEED_NOTE
from app.services.errors import InvalidInput
from app.views.datamodel import RenkeiInterface
from app.views.documents import LANGUAGES, _select
from app.views.money import local_time
from app.views.refusals import back_to, flashed
from app.views.widgets import LinkedListWidget

PURPOSE_LABELS = {
    "pdf": _l("PDF layout"),
    "email": _l("Email"),
    "reminder": _l("Payment reminder email"),
}
SEED_NOTE_WORDS = _l("Default template shipped with Renkei")
LANGUAGE_LABELS = dict(LANGUAGES)
TEMPLATE_STATE_LABELS = {
    "pending": _l("Waiting for approval"),
    "approved": _l("Approved"),
    "rejected": _l("Rejected"),
}


def _services():
    from app.services.documents import templates

    return templates


class TemplateFilterConverter(SQLAFilterConverter):
    """Purpose, kind, language and state are codes: filter by equality."""

    def convert(self, col_name):
        if col_name in ("purpose", "kind", "language", "state"):
            return [FilterEqual(col_name, self.datamodel)]
        return super().convert(col_name)


class TemplateInterface(RenkeiInterface):
    filter_converter_class = TemplateFilterConverter


ALL_ENTITIES = _l("All legal entities")


def _entity(entities, value: str):
    """The legal entity chosen on the form ("" : the global template)."""
    if not value:
        return None
    for entity in entities:
        if str(entity.id) == value:
            return entity
    raise InvalidInput(_("No such legal entity."), field="legal_entity")


class DocumentTemplateView(ModelView):
    """Template versions; proposing is "write", deciding is "approve"."""

    route_base = "/templates"
    class_permission_name = "DocumentTemplate"
    method_permission_name = TEMPLATE_VERBS
    include_route_methods = {"list", "show", "add", "approve", "reject", "preview"}
    base_permissions = ["can_read", "can_write", "can_approve"]
    datamodel = TemplateInterface(DocumentTemplate)
    list_widget = LinkedListWidget
    list_title = _l("Templates")
    show_title = _l("Template version")
    show_template = "renkei/templates_show.html"
    label_columns = {
        "purpose": _l("Purpose"),
        "kind": _l("Kind"),
        "language": _l("Language"),
        "version": _l("Version"),
        "state": _l("State"),
        "subject": _l("Subject"),
        "body": _l("Body"),
        "change_note": _l("What changed"),
        "created_by": _l("Proposed by"),
        "created_at": _l("Proposed at"),
        "decided_by": _l("Decided by"),
        "decided_at": _l("Decided at"),
        "decision_comment": _l("Comment"),
        "legal_entity": _l("Legal entity"),
    }
    list_columns = [
        "kind",
        "purpose",
        "language",
        "legal_entity",
        "version",
        "state",
        "change_note",
        "created_by",
        "created_at",
    ]
    show_columns = [*list_columns, "subject", "decided_by", "decided_at", "decision_comment"]
    search_columns = ["purpose", "kind", "language", "state"]
    order_columns = ["kind", "purpose", "language", "version", "created_at"]
    base_order = ("id", "desc")
    formatters_columns = {
        "purpose": lambda c: PURPOSE_LABELS.get(c, c),
        "kind": lambda c: KIND_LABELS.get(c, c),
        "state": lambda c: TEMPLATE_STATE_LABELS.get(c, c),
        # The seeded versions' note is stored in English; it is read in the reader's words.
        "change_note": lambda note: SEED_NOTE_WORDS if note == SEED_NOTE else note,
        "language": lambda code: LANGUAGE_LABELS.get(code, code),
        # A template of one legal entity, else every entity's (0020_entities).
        "legal_entity": lambda entity: entity.name if entity else str(ALL_ENTITIES),
    }
    search_form_extra_fields = {
        "purpose": _select(_l("Purpose"), list(PURPOSE_LABELS.items())),
        "kind": _select(_l("Kind"), [(k, KIND_LABELS[k]) for k in DOCUMENT_KINDS]),
        "language": _select(_l("Language"), LANGUAGES),
        "state": _select(_l("State"), list(TEMPLATE_STATE_LABELS.items())),
    }
    extra_args = {"local_time": local_time}

    def _version(self, pk):
        template = self.datamodel.get(pk)
        if template is None:
            abort(404)
        return template

    @expose("/show/<pk>")
    @has_access
    def show(self, pk):
        """One version: its body, its state, and the buttons the reader may use."""
        template = self._version(pk)
        widgets = self._show(pk)
        current = _services().active(
            template.purpose,
            template.kind,
            template.language,
            template.legal_entity,
            fallback=False,
        )
        return self.render_template(
            self.show_template,
            pk=pk,
            title=self.show_title,
            widgets=widgets,
            version=template,  # not "template": render_template's own first argument
            in_use=current is not None and current.id == template.id,
            may_propose=user_may(g.user, "can_write", "DocumentTemplate"),
            may_decide=template.state == "pending"
            and user_may(g.user, "can_approve", "DocumentTemplate")
            and template.created_by_id != g.user.id,
        )

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self):
        """Propose a new version (prefilled from ``?from=<id>``)."""
        base = None
        if request.args.get("from", "").isdigit():
            base = self.datamodel.get(int(request.args["from"]))
        form = {
            "purpose": request.form.get("purpose") or (base.purpose if base else "pdf"),
            "kind": request.form.get("kind") or (base.kind if base else "invoice"),
            "language": request.form.get("language") or (base.language if base else "ja"),
            "subject": request.form.get("subject", base.subject if base else "") or "",
            "body": request.form.get("body", base.body if base else ""),
            "change_note": request.form.get("change_note", ""),
            "legal_entity": request.form.get(
                "legal_entity", str(base.legal_entity_id or "") if base else ""
            ),
        }
        entities = self.datamodel.session.query(LegalEntity).order_by(LegalEntity.id).all()
        error = None
        if request.method == "POST":
            with flashed() as refusal:
                made = _services().propose(
                    form["purpose"],
                    form["kind"],
                    form["language"],
                    form["body"],
                    subject=form["subject"] or None,
                    user=g.user,
                    change_note=form["change_note"],
                    legal_entity=_entity(entities, form["legal_entity"]),
                )
            error = refusal.message
            if error is None:
                flash(_("Version %(v)s was saved and waits for approval.", v=made.version), "info")
                return redirect(url_for(".show", pk=made.id))
        return self.render_template(
            "renkei/templates_propose.html",
            title=_l("Propose a new version"),
            form=form,
            error=error,
            purposes=list(PURPOSE_LABELS.items()),
            kinds=[(k, KIND_LABELS[k]) for k in DOCUMENT_KINDS],
            languages=LANGUAGES,
            entities=[("", str(ALL_ENTITIES))] + [(str(e.id), e.name) for e in entities],
        )

    def _decide(self, pk, approve: bool):
        template = self._version(pk)
        back_to(url_for(".show", pk=pk))
        _services().decide(template, g.user, approve, request.form.get("comment"))
        flash(_("Approved.") if approve else _("Rejected."), "success")
        return redirect(url_for(".show", pk=pk))

    @expose("/approve/<int:pk>", methods=["POST"])
    @has_access
    def approve(self, pk):
        """Approve a pending version: it is used from now on."""
        return self._decide(pk, True)

    @expose("/reject/<int:pk>", methods=["POST"])
    @has_access
    def reject(self, pk):
        """Reject a pending version, saying why."""
        return self._decide(pk, False)

    @expose("/preview/<int:pk>")
    @has_access
    def preview(self, pk):
        """A PDF version rendered with sample data, to review before deciding."""
        template = self._version(pk)
        if template.purpose != "pdf":
            abort(404)
        back_to(url_for(".show", pk=pk))
        content = _services().preview_pdf(template)
        return Response(content, mimetype="application/pdf")
