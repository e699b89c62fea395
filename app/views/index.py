"""The home page: what Renkei is and the pipeline at a glance."""

from flask import g
from flask_appbuilder import IndexView, expose

from app.services.pipeline import pipeline_by_stage
from app.views.money import Money


class RenkeiIndexView(IndexView):
    index_template = "renkei/index.html"

    @expose("/")
    def index(self):
        """Show the pipeline to users who may list deals, and the open mismatches to
        users who may read the mismatch report."""
        pipeline = None
        mismatches = None
        user = getattr(g, "user", None)
        if user is not None and user.is_authenticated:
            if self.appbuilder.sm.has_access("can_read", "Deal"):
                pipeline = pipeline_by_stage(self.appbuilder.session)
                for row in pipeline:
                    row.amount = Money(row.amount, row.currency)
            if self.appbuilder.sm.has_access("can_read", "Mismatch"):
                from app.services.sync.mismatches import open_count

                mismatches = open_count()
        return self.render_template(
            self.index_template,
            appbuilder=self.appbuilder,
            pipeline=pipeline,
            mismatches=mismatches,
        )
