"""Every list screen ignores bad list arguments and says so in a flash, never with a 500.

The walk covers each registered ModelView with a list, as the administrator, on
PostgreSQL and on SQLite (the demo's database).
"""

from __future__ import annotations

import pytest
from flask_appbuilder import ModelView

from tests.conftest import login
from tests.factories import make_sample

HUGE = "99999999999999999999"
BAD_VALUES = ["nope", HUGE, "-" + HUGE, "2026-13-45", "1e400", "", "a\x00b"]


def list_views(app):
    """(view, list URL) of every registered screen with a list."""
    with app.test_request_context():
        from flask import url_for

        for view in app.appbuilder.baseviews:
            routes = view.include_route_methods
            if isinstance(view, ModelView) and (routes is None or "list" in routes):
                yield view, url_for(f"{view.endpoint}.list")


def bad_arguments(view) -> list[tuple[dict, bool]]:
    """(arguments, always bad) to throw at ``view``: order, page, page size, every filter.

    A filter value may be good for a text column ("nope"), so only the order and page
    arguments must always be flashed as ignored."""
    name = view.__class__.__name__
    order = next(iter(view.order_columns or []), "id")
    cases = [
        {f"_oc_{name}": "nope", f"_od_{name}": "asc"},
        {f"_oc_{name}": "nope.nope", f"_od_{name}": "desc"},
        {f"_oc_{name}": order, f"_od_{name}": "x"},
        {f"page_{name}": "abc"},
        {f"psize_{name}": "abc"},
        {f"page_{name}": HUGE},
        {f"psize_{name}": HUGE},
        {f"page_{name}": "-1"},
        {f"psize_{name}": "0"},
        {f"psize_{name}": "-5"},
        {f"page_{name}": "9999", f"psize_{name}": "9999999"},
    ]
    cases = [(args, True) for args in cases]
    columns = view._filters.get_search_filters()  # column → its filter kinds, by index
    for value in BAD_VALUES:
        args = {}
        for column, kinds in columns.items():
            for index in range(min(len(kinds), 10)):
                args[f"_flt_{index}_{column}"] = value
        if args:
            cases.append((args, False))
    return cases


@pytest.mark.parametrize("database", ["postgresql", "sqlite"])
def test_every_list_screen_answers_bad_arguments_without_500(database, request):
    app = request.getfixturevalue("app" if database == "postgresql" else "sqlite_app")
    from app.extensions import db
    from tests.conftest import wipe_crm

    with app.app_context():
        make_sample(db.session)
        try:
            client = app.test_client()
            login(client)
            views = list(list_views(app))
            assert len(views) >= 10, [url for _, url in views]
            failures = []
            for view, url in views:
                for args, always_bad in bad_arguments(view):
                    response = client.get(url, query_string=args)
                    if response.status_code >= 500:
                        failures.append((url, args, response.status_code))
                    elif always_bad:  # the list, and a flash in words
                        text = response.get_data(as_text=True)
                        if response.status_code != 200 or (
                            "ignored" not in text and "無視" not in text
                        ):
                            failures.append((url, args, "no word about the ignored argument"))
            assert not failures, "\n".join(map(str, failures[:20]))
        finally:
            db.session.rollback()
            wipe_crm(db.session)


@pytest.mark.parametrize(
    "url",
    [
        "/companyview/csv?_oc_CompanyView=nosuch&_od_CompanyView=asc",
        "/dealview/csv?_flt_0_amount=abc",
        f"/dealview/csv?_flt_0_company={HUGE}",
        "/dealview/csv?_flt_0_expected_close_date=2026-13-45",
    ],
)
def test_a_csv_download_with_bad_list_arguments_answers_400_in_words(any_app, any_session, url):
    client = any_app.test_client()
    login(client)
    response = client.get(url)
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    assert "Bad list settings" in response.get_data(as_text=True) or "一覧" in (
        response.get_data(as_text=True)
    )
