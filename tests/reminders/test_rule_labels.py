"""The reminder rule list reads a rule's name as the preview does (``rules.rule_label``):
a default rule still named as shipped in the reader's language, a chosen name as
written — in Japanese and in English."""

from __future__ import annotations

from flask_babel import force_locale

from app.models.reminders import ReminderRule
from app.services.reminders.rules import describe_step, ensure_default_rules
from tests.conftest import login


def test_the_rule_list_names_default_rules_in_the_readers_language(app, db_session, client):
    db_session.query(ReminderRule).delete()
    db_session.commit()
    ensure_default_rules(db_session)
    db_session.add(ReminderRule(name="5日後の確認", days=5, payment_state="any", active=True))
    db_session.commit()
    seven = db_session.query(ReminderRule).filter_by(days=7).one()
    login(client, "accounting")
    for locale in ("ja_JP", "en"):
        with force_locale(locale):
            words = [describe_step(days) for days in (-3, 0, 7, 30)]
        listing = client.get(f"/reminderrules/list/?_l_={locale}").get_data(as_text=True)
        shown = client.get(f"/reminderrules/show/{seven.id}?_l_={locale}").get_data(as_text=True)
        for word in words:
            assert word in listing, (locale, word)
        assert words[2] in shown
        assert "5日後の確認" in listing
        if locale == "ja_JP":
            assert "7 days overdue" not in listing and "3 days before the due date" not in listing
    # the edit form keeps the stored name
    form = client.get(f"/reminderrules/edit/{seven.id}?_l_=ja_JP").get_data(as_text=True)
    assert 'value="7 days overdue"' in form
    db_session.query(ReminderRule).delete()
    db_session.commit()
