"""CSV download: content, the list's filters, UTF-8 BOM, streaming."""

import csv
import io


def read_csv(response):
    body = response.get_data()
    assert body.startswith("\ufeff".encode()), "CSV must start with a UTF-8 BOM for Excel"
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_deal_csv_has_all_deals_with_exact_amounts(admin_client, sample):
    response = admin_client.get("/dealview/csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.is_streamed
    assert "attachment" in response.headers["Content-Disposition"]
    rows = read_csv(response)
    header, body = rows[0], rows[1:]
    assert "Amount" in header or "金額" in header
    by_title = {row[1]: row for row in body}
    assert set(by_title) == {"会計システム導入", "Annual support"}
    amount = header.index("Amount") if "Amount" in header else header.index("金額")
    assert by_title["会計システム導入"][amount] == "319440"
    assert by_title["Annual support"][amount] == "12000.5"
    assert by_title["会計システム導入"][2] == "株式会社さくら商事"


def test_csv_honours_the_list_filters(admin_client, sample):
    # Same URL parameters as the list screen: stage equal to "won".
    list_page = admin_client.get("/dealview/list/?_flt_0_stage=won").get_data(as_text=True)
    assert "Annual support" in list_page and "会計システム導入" not in list_page
    rows = read_csv(admin_client.get("/dealview/csv?_flt_0_stage=won"))
    assert [row[1] for row in rows[1:]] == ["Annual support"]


def test_csv_link_on_the_list_keeps_the_filters(admin_client, sample):
    page = admin_client.get("/dealview/list/?_flt_0_stage=won").get_data(as_text=True)
    assert 'href="/dealview/csv?_flt_0_stage=won"' in page


def test_csv_amount_range_filter(admin_client, sample):
    # amount greater than 100,000
    rows = read_csv(admin_client.get("/dealview/csv?_flt_1_amount=100000"))
    assert [row[1] for row in rows[1:]] == ["会計システム導入"]


def test_each_list_has_a_csv(admin_client, sample):
    for view in ("companyview", "contactview", "productview", "dealtypeview", "deallineview"):
        response = admin_client.get(f"/{view}/csv")
        assert response.status_code == 200, view
        assert len(read_csv(response)) > 1, view


def test_csv_requires_login(client, sample):
    response = client.get("/dealview/csv")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
