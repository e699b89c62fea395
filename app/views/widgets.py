"""Widgets of our own: FAB's, with small changes people expect."""

from flask_appbuilder.widgets import ListWidget
from flask_babel import lazy_gettext as _l


class LinkedListWidget(ListWidget):
    """A list whose first column links to the record's page."""

    template = "renkei/widgets/list.html"


class BlankChoiceInWords:
    """A related field that may be left empty offers "—" (or the reader's word), not
    FAB's internal "__None" that Select2 shows for an option with no text."""

    blank_choice_text = _l("(none)")

    def _init_forms(self):
        super()._init_forms()
        for form in (self.add_form, self.edit_form):
            for value in vars(form).values():
                kwargs = getattr(value, "kwargs", None)
                if isinstance(kwargs, dict) and kwargs.get("allow_blank"):
                    kwargs["blank_text"] = self.blank_choice_text
