"""Security basics: CSRF on every state-changing route, login rate limit, no open
redirect after login, session cookie flags."""

import re
from urllib.parse import urljoin, urlsplit

import pytest

from tests.conftest import build_app, csrf_token, login

# Routes that are POST by design but not ours to protect with a form token.
CSRF_EXEMPT = re.compile(r"^/(api/|sandbox/)")


def test_every_state_changing_route_refuses_a_post_without_csrf(app, admin_client, sample):
    checked = []
    for rule in app.url_map.iter_rules():
        if not (rule.methods & {"POST", "PUT", "DELETE"}) or CSRF_EXEMPT.match(rule.rule):
            continue
        url = re.sub(
            r"<(?:\w+:)?(\w+)>", lambda m: "1" if m.group(1) != "filename" else "x", rule.rule
        )
        method = "POST" if "POST" in rule.methods else sorted(rule.methods & {"PUT", "DELETE"})[0]
        response = admin_client.open(url, method=method, data={"anything": "1"})
        checked.append(rule.rule)
        assert response.status_code == 400, (rule.rule, response.status_code)
        assert "CSRF" in response.get_data(as_text=True), rule.rule
    assert len(checked) >= 15, checked  # forms, deletes, actions, connection buttons …


def test_login_is_rate_limited(pg_url):
    limited = build_app(pg_url, RATELIMIT_ENABLED=True, AUTH_RATE_LIMIT="3 per minute")
    client = limited.test_client()
    statuses = []
    for _ in range(5):
        token = csrf_token(client, "/login/")
        response = client.post(
            "/login/", data={"username": "admin", "password": "wrong", "csrf_token": token}
        )
        statuses.append(response.status_code)
    assert 429 in statuses, statuses


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "/\\evil.example/", "http:evil.example"]
)
def test_no_open_redirect_after_login(app, target):
    client = app.test_client()
    token = csrf_token(client, "/login/")
    response = client.post(
        f"/login/?next={target}",
        data={"username": "admin", "password": "admin", "csrf_token": token},
    )
    assert response.status_code == 302
    location = response.headers["Location"]
    # where a browser would go: it must stay on this host
    resolved = urlsplit(urljoin("http://localhost/login/", location.replace("\\", "/")))
    assert resolved.netloc == "localhost", location


def test_session_cookie_is_httponly_and_samesite(app):
    client = app.test_client()
    response = login(client)
    cookies = [v for k, v in response.headers.items() if k == "Set-Cookie"]
    session = [c for c in cookies if c.startswith("session=")]
    assert session, cookies
    assert "HttpOnly" in session[0]
    assert "SameSite=Lax" in session[0]


def test_secure_cookie_outside_demo():
    from config import load_config

    config = load_config(
        {
            "RENKEI_ENV": "production",
            "SECRET_KEY": "x" * 40,
            "DATABASE_URL": "postgresql://x/y",
            "RENKEI_ENCRYPTION_KEY": "bq5pKOlH6uKzGQ0K0V4Y1mCQ3zD1C3Tq9S7n8m2vW4E=",
        }
    )
    assert config["SESSION_COOKIE_SECURE"] is True


def test_registering_views_again_takes_no_permission_from_any_role(app, caplog):
    """Views sharing a resource each expose some verbs; none strips the others' verbs."""
    sm = app.appbuilder.sm
    with app.app_context():
        accounting = sm.find_role("Accounting")
        before = {(pv.permission.name, pv.view_menu.name) for pv in accounting.permissions}
        assert ("can_send_email", "Invoice") in before
        app.appbuilder.add_permissions(update_perms=True)  # what every start does
        sm.session.expire_all()
        after = {(pv.permission.name, pv.view_menu.name) for pv in accounting.permissions}
    assert after == before
    assert "Refused to delete" not in caplog.text
