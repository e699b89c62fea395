"""Payment reminders end to end against a real SMTP server on loopback: each step of the
default set on its day and once, per-company overrides, payment-state rules, the Tokyo
day boundary, SMTP failures retried without doubling, pauses, promised dates, and the
stop on paid, disputed, written off and void."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from flask_babel import gettext

from app.models.audit import AuditEntry
from app.models.reminders import Reminder, ReminderRule
from app.services.documents import lifecycle, payments, templates
from app.services.reminders import followups, schedule, send
from tests.reminders.conftest import DUE, make_invoice, on


def sent(mail) -> list:
    return mail.messages()


def test_the_default_set_is_made_at_bootstrap(db_session):
    defaults = db_session.query(ReminderRule).filter_by(company_id=None).all()
    assert sorted(r.days for r in defaults) == [-3, 0, 7, 30]


def test_each_default_step_goes_out_on_its_day_once(db_session, invoice, mail):
    outcomes = {}
    for days in range(-5, 32):
        counts = schedule.run(now=on(days))
        if counts:
            outcomes[days] = counts
        assert schedule.run(now=on(days)) == {}  # the same day again: nothing more
    assert outcomes == {d: {"sent": 1} for d in (-3, 0, 7, 30)}
    messages = sent(mail)
    assert len(messages) == 4
    steps = db_session.query(Reminder.step, Reminder.state).order_by(Reminder.step).all()
    assert steps == [(-3, "sent"), (0, "sent"), (7, "sent"), (30, "sent")]
    overdue = messages[2].parsed
    assert overdue["To"].addresses[0].addr_spec == "keiri@sakura.example"
    assert "お支払いのお願い" in messages[2].subject and invoice.number in messages[2].subject
    body = overdue.get_body(("plain",)).get_content()
    assert "7日過ぎて" in body and "￥110,000" in body  # the open balance, tax included
    [attachment] = overdue.iter_attachments()
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content().startswith(b"%PDF")
    trail = db_session.query(AuditEntry).filter_by(document_id=invoice.id, action="reminder")
    assert trail.count() == 4


def test_the_balance_is_what_is_still_open(db_session, invoice, users, mail):
    payments.record_payment(invoice, Decimal("60000"), DUE, user=users["accounting"])
    assert schedule.run(now=on(7)) == {"sent": 1}
    body = sent(mail)[0].parsed.get_body(("plain",)).get_content()
    assert "￥50,000" in body
    assert db_session.query(Reminder).one().balance == Decimal("50000")


def test_a_company_with_its_own_rules_uses_only_those(db_session, invoice, mail):
    db_session.add(ReminderRule(name="二週間後", company=invoice.company, days=14))
    db_session.commit()
    for days in range(-5, 31):
        schedule.run(now=on(days))
    assert [r.step for r in db_session.query(Reminder)] == [14]
    assert len(sent(mail)) == 1


def test_a_rule_for_partly_paid_invoices_only(db_session, sample, users, entity, mail):
    unpaid = make_invoice(sample["sakura"], users, db_session)
    partly = make_invoice(sample["sakura"], users, db_session)
    payments.record_payment(partly, Decimal("1000"), DUE, user=users["accounting"])
    db_session.add(
        ReminderRule(
            name="一部入金", company=sample["sakura"], days=5, payment_state="partially_paid"
        )
    )
    db_session.commit()
    schedule.run(now=on(6))
    assert [(r.document_id, r.step) for r in db_session.query(Reminder)] == [(partly.id, 5)]
    assert unpaid.id not in {r.document_id for r in db_session.query(Reminder)}


def test_the_day_is_the_day_in_tokyo(db_session, sample, users, entity, mail):
    """Due on the 10th, reminded on the day: 14:59 UTC on the 9th is 23:59 in Tokyo (not
    yet), 15:00 UTC is midnight there (now), 23:59 UTC is 08:59 on the 10th (too)."""
    db_session.add(ReminderRule(name="当日", company=sample["sakura"], days=0))
    db_session.commit()
    first = make_invoice(sample["sakura"], users, db_session)
    assert schedule.run(now=dt.datetime(2026, 12, 9, 14, 59)) == {}
    assert schedule.run(now=dt.datetime(2026, 12, 9, 15, 0)) == {"sent": 1}
    second = make_invoice(sample["sakura"], users, db_session)
    assert schedule.run(now=dt.datetime(2026, 12, 9, 23, 59)) == {"sent": 1}
    days = {r.document_id: r.business_day for r in db_session.query(Reminder)}
    assert days == {first.id: DUE, second.id: DUE}
    assert schedule.today_in_tokyo(dt.datetime(2026, 12, 9, 14, 59)) == dt.date(2026, 12, 9)


def test_an_smtp_failure_is_retried_and_sent_once(db_session, invoice, mail):
    mail.fail_next("tempfail")
    assert schedule.run(now=on(7)) == {"failed": 1}
    assert sent(mail) == []
    reminder = db_session.query(Reminder).one()
    assert (reminder.state, reminder.attempts) == ("failed", 1)
    assert "451" in reminder.error or "later" in reminder.error.lower()
    planned = schedule.plan(DUE + dt.timedelta(days=7))
    assert [p.retry for p in planned] == [True]  # the preview says it goes again
    mail.fail_next("drop")  # the server hangs up: still nothing sent
    assert schedule.run(now=on(7)) == {"failed": 1}
    assert schedule.run(now=on(8)) == {"sent": 1}
    assert schedule.run(now=on(8)) == {}
    assert len(sent(mail)) == 1
    db_session.refresh(reminder)
    assert (reminder.state, reminder.attempts, reminder.error) == ("sent", 3, None)


def test_a_reminder_left_sending_is_never_sent_again(db_session, invoice, mail):
    today = DUE + dt.timedelta(days=7)
    [planned] = schedule.plan(today)
    reminder = send.claim(planned, today)
    reminder.state = "sending"  # the worker died after handing it to SMTP
    db_session.commit()
    assert schedule.run(now=on(7)) == {}
    assert schedule.run(now=on(9)) == {}
    assert sent(mail) == []


@pytest.mark.parametrize("target", ["paid", "disputed", "written_off", "void"])
def test_it_stops_at_once(db_session, invoice, users, mail, target):
    assert schedule.run(now=on(0)) == {"sent": 1}
    if target == "paid":
        payments.record_payment(invoice, invoice.total, DUE, user=users["accounting"])
    else:
        lifecycle.move(invoice, target)
        db_session.commit()
    assert invoice.state == target
    for days in (7, 30, 45):
        assert schedule.plan(DUE + dt.timedelta(days=days)) == []
        assert schedule.run(now=on(days)) == {}
    assert len(sent(mail)) == 1


def test_a_claim_made_before_a_dispute_is_cancelled_not_sent(db_session, invoice, mail):
    today = DUE + dt.timedelta(days=7)
    [planned] = schedule.plan(today)
    reminder = send.claim(planned, today)
    lifecycle.move(invoice, "disputed")
    db_session.commit()
    assert send.deliver(reminder, today) == "cancelled"
    assert sent(mail) == []


def test_pause_per_company_and_per_invoice(db_session, sample, invoice, users, mail):
    other = make_invoice(sample["sakura"], users, db_session, email="other@sakura.example")
    followups.pause(invoice.company, users["accounting"], reason="交渉中")
    today = DUE + dt.timedelta(days=7)
    held = {p.document.id: p.held for p in schedule.plan(today)}
    assert held == {
        invoice.id: gettext("Reminders are paused for this customer."),
        other.id: gettext("Reminders are paused for this customer."),
    }
    assert schedule.run(now=on(7)) == {"held": 2}
    followups.resume(invoice.company, users["accounting"])
    followups.pause(invoice.company, users["accounting"], document=invoice)
    assert schedule.run(now=on(7)) == {"held": 1, "sent": 1}
    assert [m.rcpt_tos for m in sent(mail)] == [("other@sakura.example",)]
    followups.resume(invoice.company, users["accounting"], document=invoice)
    assert schedule.run(now=on(8)) == {"sent": 1}
    kinds = [n.kind for n in followups.history(invoice.company) if n.kind != "reminder"]
    assert kinds == ["resumed", "paused", "resumed", "paused"]
    with pytest.raises(Exception, match=gettext("Reminders are already paused.")):
        followups.pause(invoice.company, users["accounting"])
        followups.pause(invoice.company, users["accounting"])


def test_a_promised_date_holds_the_next_reminder_until_it_passes(db_session, invoice, users, mail):
    assert schedule.run(now=on(0)) == {"sent": 1}
    promised = DUE + dt.timedelta(days=10)
    followups.add_note(
        invoice.company,
        users["sales"],
        "promise",
        "経理の鈴木様：20日までに振り込むとのこと",
        promised_on=promised,
        today=DUE + dt.timedelta(days=1),
    )
    for days in (7, 8, 10):
        [planned] = schedule.plan(DUE + dt.timedelta(days=days))
        assert planned.held == gettext("Payment promised by %(day)s.", day=promised.isoformat())
        assert schedule.run(now=on(days)) == {"held": 1}
    assert schedule.run(now=on(11)) == {"sent": 1}  # the promise passed: the 7-day step
    assert [r.step for r in db_session.query(Reminder).order_by(Reminder.step)] == [0, 7]
    trail = db_session.query(AuditEntry).filter_by(action="follow_up").all()
    [entry] = [e for e in trail if "経理の鈴木様" in (e.note or "")]
    assert promised.isoformat() in entry.note and entry.username == "sales"


def test_who_may_note_and_pause(db_session, invoice, users):
    with pytest.raises(Exception, match="can_note"):
        followups.add_note(invoice.company, users["approver"], "call", "x")
    with pytest.raises(Exception, match="can_pause"):
        followups.pause(invoice.company, users["sales"])
    followups.add_note(invoice.company, users["sales"], "call", "電話しました")
    followups.pause(invoice.company, users["accounting"])


def test_a_new_approved_reminder_version_is_used(db_session, invoice, users, mail):
    proposed = templates.propose(
        "reminder",
        "invoice",
        "ja",
        "{{ recipient_name }} 様 残高 {{ balance }}（{{ days_overdue }}日経過）",
        subject="督促 {{ number }}",
        user=users["accounting"],
    )
    assert schedule.run(now=on(7)) == {"sent": 1}  # pending: the approved one is used
    assert "お支払いのお願い" in sent(mail)[0].subject
    templates.decide(proposed, users["approver"], approve=True)
    assert schedule.run(now=on(30)) == {"sent": 1}
    assert sent(mail)[1].subject == f"督促 {invoice.number}"
    assert "（30日経過）" in sent(mail)[1].parsed.get_body(("plain",)).get_content()
    reminder = db_session.query(Reminder).filter_by(step=30).one()
    assert reminder.template_id == proposed.id
    proposed.state = "rejected"  # later tests use the shipped version again
    db_session.commit()
