"""A related field left empty reads in words on FAB's forms, never FAB's "__None"."""

from __future__ import annotations

import re

import pytest

from tests.conftest import login


@pytest.mark.parametrize("path", ["/invoices/add", "/dealview/add"])
@pytest.mark.parametrize(("lang", "word"), [("en", "(none)"), ("ja", "（なし）")])
def test_the_empty_choice_has_a_word(app, db_session, path, lang, word):
    client = app.test_client()
    login(client, "admin")
    client.get(f"/lang/{lang}")
    response = client.get(path)
    assert response.status_code == 200, path
    html = response.get_data(as_text=True)
    blanks = re.findall(r'<option[^>]*value="__None"[^>]*>([^<]*)</option>', html)
    assert blanks, "no optional related field on " + path
    assert set(blanks) == {word}
