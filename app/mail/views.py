"""/sandbox/mail/: what the demo's mail sink received, read-only, for outbox readers."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template_string,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from app.security.rights import user_may

EXTENSION_KEY = "renkei_mail_sink"
READ_OUTBOX = ("can_read", "Outbox")

blueprint = Blueprint("renkei_mail_sink", __name__, url_prefix="/sandbox/mail")

PAGE_HTML = """<!doctype html><html lang="{{ lang }}"><head><meta charset="utf-8">
<title>{{ t.title }}</title>
<style>
 body{font-family:system-ui,sans-serif;margin:1.5rem;color:#222;background:#fafafa}
 h1{font-size:1.4rem} table{border-collapse:collapse;width:100%;background:#fff}
 th,td{border:1px solid #ddd;padding:.35rem .5rem;text-align:left;font-size:.9rem}
 th{background:#eee} .note{color:#666;font-size:.85rem}
</style></head><body>
<h1>{{ t.title }}</h1>
<p class="note">{{ t.note }} <a href="{{ home }}">{{ t.back }}</a></p>
<table>
 <tr><th>{{ t.time }}</th><th>{{ t.sender }}</th><th>{{ t.to }}</th><th>{{ t.subject }}</th>
     <th>{{ t.attachments }}</th><th></th></tr>
 {% for row in rows %}
 <tr id="mail-{{ row.n }}">
  <td>{{ row.time }}</td><td>{{ row.sender }}</td><td>{{ row.to }}</td>
  <td>{{ row.subject }}</td><td>{{ row.attachments | join(", ") }}</td>
  <td><a href="{{ url_for('renkei_mail_sink.raw', n=row.n) }}">{{ t.download }}</a></td>
 </tr>
 {% else %}
 <tr><td colspan="6">{{ t.empty }}</td></tr>
 {% endfor %}
</table></body></html>"""


def _sink():
    return current_app.extensions[EXTENSION_KEY]


@blueprint.before_request
def _only_outbox_readers():
    """Signed-in users with the admin role or ("can_read", "Outbox"); others are sent away."""
    if not current_user.is_authenticated:
        login = f"{current_app.appbuilder.sm.auth_view.endpoint}.login"
        return redirect(url_for(login, next=request.full_path))
    if not user_may(current_user, *READ_OUTBOX):
        abort(403)
    return None


@blueprint.route("/")
def index():
    """The received messages, newest first."""
    zone = ZoneInfo(current_app.config.get("RENKEI_DISPLAY_TIMEZONE", "Asia/Tokyo"))
    rows = [
        {
            "n": n,
            "time": message.received_at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"),
            "sender": message.mail_from,
            "to": ", ".join(message.rcpt_tos),
            "subject": message.subject,
            "attachments": message.attachment_names,
        }
        for n, message in enumerate(_sink().messages(), start=1)
    ]
    labels = {
        "title": _("Sent email (demo mail sink)"),
        "note": _(
            "Email sent by the demo arrives here instead of real mailboxes. "
            "Kept in memory: a restart empties it."
        ),
        "back": _("Back to the console"),
        "time": _("Received"),
        "sender": _("From"),
        "to": _("To"),
        "subject": _("Subject"),
        "attachments": _("Attachments"),
        "download": _("Download .eml"),
        "empty": _("No email yet."),
    }
    return render_template_string(
        PAGE_HTML,
        rows=rows[::-1],
        t=labels,
        lang=getattr(get_locale(), "language", "ja"),
        home=current_app.appbuilder.get_url_for_index,
    )


@blueprint.route("/<int:n>.eml")
def raw(n: int):
    """The n-th received message (from 1), exactly as it arrived."""
    messages = _sink().messages()
    if not 1 <= n <= len(messages):
        abort(404)
    return Response(
        messages[n - 1].raw,
        mimetype="message/rfc822",
        headers={"Content-Disposition": f"attachment; filename=mail-{n}.eml"},
    )
