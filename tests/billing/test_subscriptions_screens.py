"""Screens and REST API of subscriptions: create over the API (4xx on bad input), usage rows
all-or-none, the subscription page's verbs, the preview of a run, the CSV import screen."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from app.models.documents import Document
from app.models.subscriptions import Subscription, SubscriptionUsage
from app.services.sync.clock import business_today
from tests.conftest import csrf_token, login

pytestmark = pytest.mark.usefixtures("english")


def _api(client, token, method, url, body=None):
    return client.open(url, method=method, json=body, headers={"Authorization": f"Bearer {token}"})


def _token(client, username="admin"):
    return client.post(
        "/api/v1/security/login",
        json={"username": username, "password": username, "provider": "db"},
    ).get_json()["access_token"]


def test_api_create_list_usage_preview(app, db_session, sample, entity):
    client = app.test_client()
    token = _token(client, "accounting")
    start = business_today() - dt.timedelta(days=40)
    body = {
        "company_id": sample["sakura"].id,
        "name": "Renkei Cloud",
        "start_date": start.isoformat(),
        "lines": [{"name": "Seats", "unit_price": "1500", "quantity": "10"}],
    }
    bad = [
        ({**body, "company_id": "x"}, "company_id"),
        ({**body, "start_date": "2027-02-30"}, "start_date"),
        ({**body, "start_date": "9999-01-01"}, "start_date"),
        ({**body, "interval": "weekly"}, "interval"),
        ({**body, "lines": []}, "lines"),
        ({**body, "lines": [{"name": "x", "unit_price": "-1"}]}, "lines.0.unit_price"),
        (
            {**body, "lines": [{"name": "x", "unit_price": "1", "tax_rate": ["a"]}]},
            "lines.0.tax_rate",
        ),
        ({**body, "notice_days": 400}, "notice_days"),
    ]
    for payload, field in bad:
        response = _api(client, token, "POST", "/api/v1/subscription/", payload)
        assert response.status_code == 422, (payload, response.get_json())
        assert field in response.get_json()["message"], response.get_json()
    assert _api(client, token, "POST", "/api/v1/subscription/", [1]).status_code == 400
    created = _api(client, token, "POST", "/api/v1/subscription/", body)
    assert created.status_code == 201, created.get_json()
    sid = created.get_json()["result"]["id"]
    listed = _api(client, token, "GET", "/api/v1/subscription/").get_json()["result"]
    assert [s["id"] for s in listed] == [sid]
    usage = {
        "rows": [
            {"metric": "API calls", "date": start.isoformat(), "quantity": "100", "unit_price": "2"}
        ]
    }
    bad_usage = {
        "rows": [
            *usage["rows"],
            {"metric": "x", "date": "nope", "quantity": "1", "unit_price": "1"},
        ]
    }
    refused = _api(client, token, "POST", f"/api/v1/subscription/{sid}/usage?_l_=en", bad_usage)
    assert refused.status_code == 422 and "Row 2" in str(refused.get_json())
    assert db_session.query(SubscriptionUsage).count() == 0
    assert (
        _api(client, token, "POST", f"/api/v1/subscription/{sid}/usage", usage).status_code == 201
    )
    assert (
        _api(client, token, "POST", "/api/v1/subscription/999999/usage", usage).status_code == 404
    )
    preview = _api(client, token, "GET", "/api/v1/subscription/preview").get_json()
    assert len(preview["invoices"]) == 2  # this period and the last: neither billed yet
    assert _api(client, token, "GET", "/api/v1/subscription/preview?day=x").status_code == 422
    readonly = _token(client, "readonly")
    assert _api(client, readonly, "GET", "/api/v1/subscription/").status_code == 200
    assert _api(client, readonly, "POST", "/api/v1/subscription/", body).status_code == 403
    assert "/subscription/{pk}/usage" in str(
        _api(client, _token(client), "GET", "/api/v1/_openapi").get_json()["paths"]
    )


def test_screens_preview_change_cancel_and_import(app, db_session, sample, entity):
    today = business_today()
    client = app.test_client()
    login(client, "accounting")
    token = _token(client, "accounting")
    sid = _api(
        client,
        token,
        "POST",
        "/api/v1/subscription/",
        {
            "company_id": sample["sakura"].id,
            "start_date": (today - dt.timedelta(days=3)).isoformat(),
            "lines": [{"name": "Seats", "unit_price": "1000", "quantity": "5"}],
        },
    ).get_json()["result"]["id"]
    page = client.get("/subscriptionbilling/?_l_=en").get_data(as_text=True)
    assert "Seats" in page and "billed in advance" in page
    assert "Bill now" in page
    from app.services.billing import run as billing

    assert billing.run() == {"billed": 1}
    show = client.get(f"/subscriptions/show/{sid}?_l_=en")
    assert show.status_code == 200 and "Change (prorated)" in show.get_data(as_text=True)
    subscription = db_session.get(Subscription, sid)
    token_form = csrf_token(client, f"/subscriptions/show/{sid}")
    response = client.post(
        f"/subscriptions/change_line/{subscription.lines[0].id}",
        data={"csrf_token": token_form, "quantity": "3", "effective_on": today.isoformat()},
    )
    assert response.status_code == 302
    db_session.expire_all()
    assert db_session.query(Document).filter_by(kind="credit_note").count() == 1
    # usage CSV with a bad row: named, nothing imported
    csv = (
        "subscription,metric,date,quantity,unit_price\n"
        f"{sid},Storage,{today.isoformat()},10,5\n"
        f"{sid},Storage,not-a-date,10,5\n"
    )
    page = client.post(
        "/subscriptionusage/import?_l_=en",
        data={"csrf_token": token_form, "file": (io.BytesIO(csv.encode()), "usage.csv")},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    assert "Row 3" not in page and "Row 2 (date)" in page
    assert db_session.query(SubscriptionUsage).count() == 0
    good = "\n".join(csv.splitlines()[:2]) + "\n"
    response = client.post(
        "/subscriptionusage/import",
        data={"csrf_token": token_form, "file": (io.BytesIO(good.encode()), "usage.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    assert db_session.query(SubscriptionUsage).count() == 1
    response = client.post(
        f"/subscriptions/cancel/{sid}", data={"csrf_token": token_form, "when": "now"}
    )
    assert response.status_code == 302
    db_session.expire_all()
    assert db_session.get(Subscription, sid).ends_on == today
    # a read-only person sees, but may not change
    other = app.test_client()
    login(other, "readonly")
    assert other.get(f"/subscriptions/show/{sid}").status_code == 200
    assert other.get("/subscriptionbilling/").status_code == 200
    refused = other.post(
        f"/subscriptions/renew/{sid}",
        data={"csrf_token": csrf_token(other, "/resetmypassword/form")},
    )
    assert refused.status_code in (302, 403)
    assert db_session.get(Subscription, sid).renewed_until is None
