"""The mail layer against a real SMTP server on loopback (the sink), its failures and
timeouts, its settings, and the demo's /sandbox/mail/ page."""

from __future__ import annotations

import logging
import socket
import threading
import time

import pytest
from flask import Flask

from app.mail import (
    MailRejected,
    MailUnavailable,
    SmtpSettings,
    build_message,
    send_message,
)
from app.mail.demo import install_mail_sink
from app.mail.sink import start_sink
from tests.conftest import build_app, login

SUBJECT = "【請求書】INV-2026-0042 のご送付（株式会社サンプル様）"
BODY = (
    "株式会社サンプル\n山田 太郎 様\n\n"
    "いつもお世話になっております。請求書をお送りいたします。\n"
    "ご査収のほど、よろしくお願い申し上げます。\n\n"
    "— 株式会社レンケイ商事 経理部 ①②③ 髙﨑\n"
)
PDF_NAME = "請求書_INV-2026-0042（株式会社サンプル様）.pdf"


@pytest.fixture(scope="module")
def sink():
    server = start_sink(0)
    yield server
    server.stop()


@pytest.fixture()
def settings(sink):
    sink.clear()
    return SmtpSettings("127.0.0.1", sink.port, timeout=5)


@pytest.fixture(scope="module")
def invoice_pdf() -> bytes:
    from app.pdf.render import render_invoice_pdf
    from app.pdf.sample import sample_invoice_data

    return render_invoice_pdf(sample_invoice_data())


def invoice_message(pdf: bytes = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", to="yamada@example.jp"):
    return build_message(
        "株式会社レンケイ商事 経理部 <billing@renkei.example>",
        [f"山田 太郎 <{to}>"],
        SUBJECT,
        BODY,
        attachments=[(PDF_NAME, pdf, "application/pdf")],
    )


def test_japanese_invoice_arrives_byte_exact(sink, settings, invoice_pdf):
    message = invoice_message(invoice_pdf)
    message_id = send_message(settings, message)

    [received] = sink.messages()
    # What arrived is exactly what we built, as smtplib puts it on the wire.
    assert received.raw == message.as_bytes(policy=message.policy.clone(linesep="\r\n"))
    assert received.raw.isascii()  # 7-bit clean: no relay can mangle it
    # RFC 2231: percent-encoded UTF-8, split into numbered continuations when long
    assert b"filename*0*=utf-8''%E8%AB%8B%E6%B1%82%E6%9B%B8_INV" in received.raw
    assert received.mail_from == "billing@renkei.example"
    assert received.rcpt_tos == ("yamada@example.jp",)

    parsed = received.parsed
    assert parsed["Message-ID"] == message_id and message_id.endswith("@renkei.example>")
    assert received.subject == SUBJECT
    assert parsed["From"].addresses[0].display_name == "株式会社レンケイ商事 経理部"
    assert parsed.get_body(("plain",)).get_content() == BODY
    [attachment] = parsed.iter_attachments()
    assert attachment.get_filename() == PDF_NAME
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content() == invoice_pdf
    assert received.attachment_names == [PDF_NAME]


def test_every_byte_value_of_an_attachment_survives(sink, settings):
    data = bytes(range(256)) * 40
    send_message(settings, invoice_message(data))
    [attachment] = sink.messages()[0].parsed.iter_attachments()
    assert attachment.get_content() == data


@pytest.mark.parametrize(
    ("kind", "error", "code"),
    [
        ("reject", MailRejected, 550),
        ("tempfail", MailUnavailable, 451),
        ("drop", MailUnavailable, None),
    ],
)
def test_each_failure_maps_to_its_error_and_the_next_send_succeeds(
    sink, settings, kind, error, code
):
    sink.fail_next(kind)
    with pytest.raises(error) as raised:
        send_message(settings, invoice_message())
    assert type(raised.value) is error
    assert raised.value.code == code
    assert raised.value.should_retry is (error is MailUnavailable)
    assert raised.value.message  # for a person …
    if code:
        # … and the server's own words, with the refused address
        assert str(code) in raised.value.detail
        assert "yamada@example.jp" in raised.value.refused
    assert sink.messages() == []  # nothing arrived: nothing may be called sent

    send_message(settings, invoice_message())  # the failure was for one message only
    assert len(sink.messages()) == 1


def test_a_retry_after_temporary_failures_gets_through(sink, settings):
    sink.fail_next("tempfail", count=2)
    outcomes = []
    for _attempt in range(3):
        try:
            send_message(settings, invoice_message())
            outcomes.append("sent")
        except MailUnavailable:
            outcomes.append("later")
    assert outcomes == ["later", "later", "sent"]
    assert len(sink.messages()) == 1


def test_one_refused_recipient_fails_the_whole_send(sink, settings):
    message = build_message("billing@renkei.example", ["a@example.jp", "b@example.jp"], "s", "b")
    sink.fail_next("reject")
    with pytest.raises(MailRejected) as raised:
        send_message(settings, message)
    assert set(raised.value.refused) == {"a@example.jp", "b@example.jp"}


def test_unknown_failure_kind_is_refused(sink):
    with pytest.raises(ValueError, match="reject, tempfail, drop"):
        sink.fail_next("bounce")


def test_sign_in_is_used_when_a_username_is_set(sink, settings):
    with_login = SmtpSettings("127.0.0.1", sink.port, username="renkei", password="secret")
    send_message(with_login, invoice_message())
    assert len(sink.messages()) == 1
    assert "secret" not in repr(with_login)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_nobody_listening_is_unavailable():
    settings = SmtpSettings("127.0.0.1", _free_port(), timeout=2)
    with pytest.raises(MailUnavailable, match="Could not reach the mail server") as raised:
        send_message(settings, invoice_message())
    assert "ConnectionRefusedError" in raised.value.detail


def test_a_server_that_never_answers_times_out_as_unavailable():
    # Accepts the TCP connection, then says nothing (no SMTP greeting), ever.
    silent = socket.create_server(("127.0.0.1", 0))
    accepted = []
    thread = threading.Thread(target=lambda: accepted.append(silent.accept()), daemon=True)
    thread.start()
    settings = SmtpSettings("127.0.0.1", silent.getsockname()[1], timeout=0.5)
    started = time.monotonic()
    try:
        with pytest.raises(MailUnavailable, match="did not answer within 0.5 seconds"):
            send_message(settings, invoice_message())
        elapsed = time.monotonic() - started
    finally:
        thread.join(2)
        for conn, _addr in accepted:
            conn.close()
        silent.close()
    assert accepted, "the client never connected"
    assert 0.4 < elapsed < 1.5, elapsed


def test_no_host_configured_is_unavailable():
    with pytest.raises(MailUnavailable, match="SMTP_HOST"):
        send_message({"SMTP_HOST": ""}, invoice_message())


def test_errors_speak_the_users_language(app, sink, settings):
    sink.fail_next("reject")
    with app.test_request_context(headers={"Accept-Language": "ja"}):
        from flask_babel import refresh

        refresh()
        with pytest.raises(MailRejected) as raised:
            send_message(settings, invoice_message())
    assert "宛先" in raised.value.message, raised.value.message
    assert "550" in str(raised.value)


def test_a_header_with_a_line_break_is_refused():
    with pytest.raises(ValueError):
        build_message("a@example.jp", "b@example.jp", "件名\r\nBcc: evil@example.com", "本文")


# --- settings -------------------------------------------------------------------------

PRODUCTION = {
    "RENKEI_ENV": "production",
    "SECRET_KEY": "x" * 40,
    "DATABASE_URL": "postgresql://x/y",
    "RENKEI_ENCRYPTION_KEY": "bq5pKOlH6uKzGQ0K0V4Y1mCQ3zD1C3Tq9S7n8m2vW4E=",
}


def test_settings_come_from_the_environment():
    from config import load_config

    config = load_config(
        {
            **PRODUCTION,
            "SMTP_HOST": "smtp.example.co.jp",
            "SMTP_PORT": "2525",
            "SMTP_USERNAME": "renkei",
            "SMTP_PASSWORD": "s3cret",
            "SMTP_STARTTLS": "false",
            "SMTP_SSL": "1",
            "SMTP_TIMEOUT": "3.5",
            "MAIL_FROM": "経理 <billing@example.co.jp>",
        }
    )
    assert SmtpSettings.from_config(config) == SmtpSettings(
        "smtp.example.co.jp", 2525, "renkei", "s3cret", starttls=False, ssl=True, timeout=3.5
    )
    assert config["MAIL_FROM"] == "経理 <billing@example.co.jp>"
    assert config["MAIL_SINK_ENABLED"] is False


def test_production_defaults_use_tls_on_the_submission_port():
    from config import load_config

    config = load_config({**PRODUCTION, "SMTP_HOST": "smtp.example.co.jp"})
    assert (config["SMTP_PORT"], config["SMTP_STARTTLS"], config["SMTP_SSL"]) == (587, True, False)
    assert config["SMTP_TIMEOUT"] == 10
    assert load_config({**PRODUCTION, "SMTP_SSL": "1"})["SMTP_PORT"] == 465


def test_demo_and_test_defaults_point_at_the_local_sink(tmp_path, monkeypatch):
    from config import load_config

    monkeypatch.setattr("config.INSTANCE_DIR", tmp_path)
    demo = load_config({"RENKEI_ENV": "demo"})
    assert (demo["SMTP_HOST"], demo["SMTP_PORT"], demo["SMTP_STARTTLS"]) == (
        "127.0.0.1",
        8025,
        False,
    )
    assert demo["MAIL_SINK_ENABLED"] is True and demo["MAIL_FROM"]
    test = load_config({**PRODUCTION, "RENKEI_ENV": "test"})
    assert (test["SMTP_HOST"], test["SMTP_PORT"]) == ("127.0.0.1", 8025)
    assert test["MAIL_SINK_ENABLED"] is False  # the tests start their own sinks


# --- the demo's sink and its page ---------------------------------------------------


@pytest.fixture(scope="module")
def sink_app(pg_url):
    """An app with the demo's sink on an ephemeral port (as RENKEI_ENV=demo would have it)."""
    from app.extensions import db

    application = build_app(pg_url, MAIL_SINK_ENABLED=True, SMTP_PORT=0)
    yield application
    with application.app_context():
        db.session.remove()


@pytest.fixture()
def sink_client(sink_app):
    sink_app.extensions["renkei_mail_sink"].clear()
    with sink_app.app_context():
        yield sink_app.test_client()


def test_demo_mail_arrives_on_the_page(sink_app, sink_client):
    assert sink_app.config["SMTP_PORT"] != 0  # mail goes where the sink listens
    message_id = send_message(sink_app.config, invoice_message())
    login(sink_client, "admin")
    html = sink_client.get("/sandbox/mail/").get_data(as_text=True)
    assert SUBJECT in html and PDF_NAME in html and "yamada@example.jp" in html
    raw = sink_client.get("/sandbox/mail/1.eml")
    assert raw.status_code == 200 and raw.mimetype == "message/rfc822"
    assert message_id.encode() in raw.data
    assert raw.data == sink_app.extensions["renkei_mail_sink"].messages()[0].raw
    assert sink_client.get("/sandbox/mail/2.eml").status_code == 404


def test_the_page_is_for_outbox_readers_only(sink_app, sink_client):
    send_message(sink_app.config, invoice_message())
    anonymous = sink_client.get("/sandbox/mail/")
    assert anonymous.status_code == 302 and "/login/" in anonymous.headers["Location"]
    assert sink_client.get("/sandbox/mail/1.eml").status_code == 302
    login(sink_client, "sales")
    assert sink_client.get("/sandbox/mail/").status_code == 403
    assert sink_client.get("/sandbox/mail/1.eml").status_code == 403


def test_the_page_is_translated(sink_app, sink_client):
    login(sink_client, "admin")
    html = sink_client.get("/sandbox/mail/").get_data(as_text=True)
    assert "送信したメール" in html and "件名" in html


def test_the_page_is_not_mounted_without_the_sink(app, admin_client):
    assert admin_client.get("/sandbox/mail/").status_code == 404


def test_one_sink_per_process(sink_app):
    other = Flask("other")
    other.config["SMTP_PORT"] = 0
    assert install_mail_sink(other) is sink_app.extensions["renkei_mail_sink"]


def test_a_taken_port_is_logged_and_the_app_goes_on(caplog, monkeypatch):
    # Alembic's fileConfig (migrations/env.py) disables loggers that existed before it ran.
    monkeypatch.setattr(logging.getLogger("app.mail.demo"), "disabled", False)
    taken = socket.create_server(("127.0.0.1", 0))
    other = Flask("other")
    other.config["SMTP_PORT"] = taken.getsockname()[1]
    try:
        with caplog.at_level(logging.WARNING, logger="app.mail.demo"):
            assert install_mail_sink(other) is None
    finally:
        taken.close()
    assert "cannot listen" in caplog.text
    assert "renkei_mail_sink" not in other.blueprints


def test_the_reloader_watcher_does_not_start_a_sink(monkeypatch):
    monkeypatch.setenv("FLASK_RUN_FROM_CLI", "true")
    monkeypatch.delenv("WERKZEUG_RUN_MAIN", raising=False)
    other = Flask("other")
    other.debug = True
    other.config["SMTP_PORT"] = _free_port()
    assert install_mail_sink(other) is None
