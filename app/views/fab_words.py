"""Flask-AppBuilder's own words that its Japanese catalogue leaves untranslated.

FAB ships a ja_JP catalogue, but these msgids of its screens (the "Add" and "Detail"
tabs, the select placeholder, the Groups menu, filter names …) have no translation
there. Naming them here puts them in Renkei's catalogue (scripts/translations.py
extracts app/), where Flask-Babel finds them. tests/test_words_walk.py fails on the
English that remains on Japanese pages.
"""

from flask_babel import lazy_gettext as _l

FAB_WORDS = (
    _l("Add"),
    _l("Add Group"),
    _l("Are you sure you want to delete this item?"),
    _l("Contains (insensitive)"),
    _l("Database Error"),
    _l("Detail"),
    _l("Edit Group"),
    _l("Edit User Information"),
    _l("Either select a role or a group"),
    _l("Groups"),
    _l("In"),
    _l("List Groups"),
    _l(
        "Must have at least two capital letters, one special character, two digits, "
        "three lower case letters and a minimal length of 10."
    ),
    _l("Not In"),
    _l("Select Value"),
    _l("Show Group"),
    _l("Sign In with "),
    _l("The user's password for authentication"),
    _l("User information changed"),
    _l("User(s) exists in the group, cannot delete"),
    _l("User(s) exists in the role, cannot delete"),
    _l("Cancel"),
)
