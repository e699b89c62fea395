"""The Billing menu's milestone and time screens (issue 17)."""

from flask_babel import lazy_gettext as _l

from app.views.billing_milestones import MilestonesView
from app.views.billing_time import TimeEntriesView


def register_milestone_and_time_views(appbuilder) -> None:
    appbuilder.add_view(
        MilestonesView,
        "Milestones",
        label=_l("Milestones"),
        icon="fa-flag-checkered",
        category="Billing",
        category_label=_l("Billing"),
        category_icon="fa-file-invoice-dollar",
    )
    appbuilder.add_view(
        TimeEntriesView,
        "Time entries",
        label=_l("Time entries"),
        icon="fa-clock",
        category="Billing",
    )
