"""The screens' one boundary for typed errors (app/services/errors.py).

A route names where a refusal leads (``back_to``) and calls its verb; a ``RenkeiError``
raised on the way reaches the app's error handler (``install``), which rolls the session
back, flashes the error's sentence and redirects there. Services raise; they never flash.
A route that refuses several items one by one (a bulk action) uses ``flashed``.
The REST API has its own boundary (app/api/refusals.py); ``install`` sends errors of
``/api/`` routes there.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass

from flask import current_app, flash, redirect, render_template, request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException, InternalServerError

from app.extensions import db
from app.services.errors import RenkeiError

_BACK = "renkei.refusal.back_to"
_KEEP = "renkei.refusal.keep"
# A same-site path: one "/" then anything but a second "/" or "\"; no control characters,
# no backslash anywhere, no percent-encoded control character, "/" or "\".
_UNSAFE = re.compile(r"[\x00-\x20\x7f\\]|%(0[0-9a-f]|1[0-9a-f]|2f|5c|7f)", re.IGNORECASE)


def back_to(url: str, keep_changes: bool = False) -> str:
    """Where a refusal of this request leads (``keep_changes``: commit, not roll back)."""
    request.environ[_BACK] = url
    request.environ[_KEEP] = keep_changes
    return url


def is_same_site_path(target: str) -> bool:
    """A relative path on this site: never ``//host``, ``/\\host``, a scheme or a tab."""
    return (
        bool(target)
        and target.startswith("/")
        and not target.startswith("//")
        and not _UNSAFE.search(target)
    )


def safe_next(default: str) -> str:
    """The request's ``next`` when it is a path on this site, else ``default``."""
    target = request.form.get("next") or request.args.get("next") or ""
    return target if is_same_site_path(target) else default


def refused(exc: RenkeiError, target: str | None = None):
    """Roll back (or keep, when asked), flash the sentence and redirect."""
    if request.environ.get(_KEEP):
        db.session.commit()
    else:
        db.session.rollback()
    flash(str(exc), "danger")
    target = target or request.environ.get(_BACK)
    if not target:
        referrer = request.referrer or ""
        host = request.host_url
        target = referrer[len(host) - 1 :] if referrer.startswith(host) else ""
        target = target if is_same_site_path(target) else current_app.appbuilder.get_url_for_index
    return redirect(target)


@dataclass
class Refusal:
    """What ``flashed`` caught: the sentence, or None when the block went through."""

    message: str | None = None


@contextmanager
def flashed(prefix: str = ""):
    """Refuse one item of several: roll back, flash (after ``prefix``) and go on."""
    refusal = Refusal()
    try:
        yield refusal
    except RenkeiError as exc:
        db.session.rollback()
        refusal.message = str(exc)
        flash(f"{prefix}{exc}", "danger")


def _handle(exc: RenkeiError):
    if request.path.startswith("/api/"):
        from app.api.refusals import answer

        return answer(exc)
    return refused(exc)


# The console's own pages for 403, 404 and 500 (not Werkzeug's bare English ones).
ERROR_PAGES = {
    403: (
        _l("You may not open this page"),
        _l("Your profile does not include this page or action. Ask an administrator for it."),
    ),
    404: (
        _l("This page does not exist"),
        _l("The address may be mistyped, or the record was deleted or is not yours to see."),
    ),
    500: (
        _l("Something went wrong on our side"),
        _l("Nothing was saved. Try again; if it happens again, tell an administrator the time."),
    ),
}


def error_page(exc: HTTPException):
    """A 403, 404 or 500 in the console's layout, in the reader's language, with a way
    back (the page they came from, when it is on this site, and the console's home).
    The REST API keeps its own answers (JSON from FAB and app/api/refusals.py)."""
    code = getattr(exc, "code", None) or 500
    if request.path.startswith("/api/"):
        return exc
    if code == 500:
        db.session.rollback()
    title, text = ERROR_PAGES[code]
    referrer = request.referrer or ""
    host = request.host_url
    back = referrer[len(host) - 1 :] if referrer.startswith(host) else ""
    appbuilder = current_app.appbuilder
    html = render_template(
        "renkei/error.html",
        appbuilder=appbuilder,
        base_template=appbuilder.base_template,
        code=code,
        title=title,
        text=text,
        back=back if is_same_site_path(back) and back != request.full_path else "",
    )
    return html, code


def install(app) -> None:
    """Make this the app's handler of every RenkeiError a route lets through, and of
    403, 404 and 500 on the screens."""
    app.register_error_handler(RenkeiError, _handle)
    for code in (403, 404):
        app.register_error_handler(code, error_page)
    app.register_error_handler(InternalServerError, error_page)
