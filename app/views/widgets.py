"""Widgets of our own: FAB's, with small changes people expect."""

from flask_appbuilder.widgets import ListWidget


class LinkedListWidget(ListWidget):
    """A list whose first column links to the record's page."""

    template = "renkei/widgets/list.html"
