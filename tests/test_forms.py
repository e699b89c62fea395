"""Screens: forms refuse bad input with a message a person understands and keep what was typed."""

from decimal import Decimal

from app.models.crm import Company, Deal, DealLine
from tests.conftest import csrf_token


def post_form(client, url, data):
    data = {**data, "csrf_token": csrf_token(client, url)}
    return client.post(url, data=data)


def test_negative_quantity_refused_and_form_kept(admin_client, sample, db_session):
    deal = sample["with_lines"]
    url = f"/deallineview/add?_flt_0_deal={deal.id}"
    response = post_form(
        admin_client,
        url,
        {
            "deal": deal.id,
            "position": "3",
            "name": "追加作業",
            "unit_price": "5000",
            "quantity": "-2",
            "discount_percent": "0",
            "tax_rate": "standard_10",
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert (
        "The quantity must be greater than zero." in html
        or "数量は0より大きい値にしてください。" in html
    )
    assert 'value="追加作業"' in html and 'value="5000"' in html  # what was typed is kept
    assert db_session.query(DealLine).filter_by(name="追加作業").count() == 0


def test_unknown_tax_rate_refused(admin_client, sample, db_session):
    deal = sample["with_lines"]
    response = post_form(
        admin_client,
        "/deallineview/add",
        {
            "deal": deal.id,
            "position": "3",
            "name": "謎の税率",
            "unit_price": "100",
            "quantity": "1",
            "discount_percent": "0",
            "tax_rate": "twelve",
        },
    )
    assert response.status_code == 200
    assert db_session.query(DealLine).filter_by(name="謎の税率").count() == 0
    html = response.get_data(as_text=True)
    assert "Not a valid choice" in html or "選択肢が正しくありません" in html


def test_line_from_product_fills_name_and_price(admin_client, sample, db_session):
    deal = sample["with_lines"]
    response = post_form(
        admin_client,
        "/deallineview/add",
        {
            "deal": deal.id,
            "position": "3",
            "product": sample["consulting"].id,
            "name": "",
            "unit_price": "",
            "quantity": "2",
            "discount_percent": "",
            "tax_rate": "",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    db_session.expire_all()
    line = db_session.query(DealLine).filter_by(deal_id=deal.id, position=3).one()
    assert (line.name, line.unit_price, line.tax_rate) == (
        "導入支援",
        Decimal("300000"),
        "standard_10",
    )
    assert db_session.get(Deal, deal.id).amount == Decimal("919440")


def test_line_needs_product_or_name(admin_client, sample, db_session):
    deal = sample["with_lines"]
    response = post_form(
        admin_client,
        "/deallineview/add",
        {
            "deal": deal.id,
            "position": "4",
            "name": "",
            "unit_price": "10",
            "quantity": "1",
        },
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Choose a product or type an item name." in html or "商品を選ぶか" in html


def test_bad_registration_number_refused(admin_client, sample, db_session):
    response = post_form(
        admin_client,
        "/companyview/add",
        {
            "code": "C-9",
            "name": "株式会社テスト",
            "invoice_registration_number": "T2835678256246",
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "check digit" in html or "チェックデジット" in html
    assert 'value="株式会社テスト"' in html
    assert db_session.query(Company).filter_by(code="C-9").count() == 0


def test_company_saved_with_normalised_registration_number(admin_client, sample, db_session):
    response = post_form(
        admin_client,
        "/companyview/add",
        {
            "code": "C-10",
            "name": "株式会社ただしい",
            "invoice_registration_number": "t5-8356-7825-6246",
        },
    )
    assert response.status_code == 302
    company = db_session.query(Company).filter_by(code="C-10").one()
    assert company.invoice_registration_number == "T5835678256246"


def test_duplicate_code_refused(admin_client, sample, db_session):
    response = post_form(admin_client, "/companyview/add", {"code": "C-1", "name": "二重"})
    assert response.status_code == 200
    assert db_session.query(Company).filter_by(name="二重").count() == 0


def test_deal_without_probability_follows_stage_and_owner_defaults(
    admin_client, sample, db_session
):
    response = post_form(
        admin_client,
        "/dealview/add",
        {
            "title": "新規案件",
            "company": sample["sakura"].id,
            "stage": "negotiation",
            "currency": "JPY",
            "amount": "500000",
            "probability": "",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[-1500:]
    deal = db_session.query(Deal).filter_by(title="新規案件").one()
    assert deal.probability == 70
    assert deal.owner.username == "admin"
    assert deal.amount == Decimal("500000")


def test_deal_negative_amount_refused(admin_client, sample, db_session):
    response = post_form(
        admin_client,
        "/dealview/add",
        {
            "title": "マイナス",
            "company": sample["sakura"].id,
            "stage": "lead",
            "currency": "JPY",
            "amount": "-100",
        },
    )
    assert response.status_code == 200
    assert db_session.query(Deal).filter_by(title="マイナス").count() == 0


def test_post_without_csrf_token_is_refused(admin_client, sample, db_session):
    response = admin_client.post("/companyview/add", data={"code": "C-X", "name": "forged"})
    assert response.status_code == 400
    assert db_session.query(Company).filter_by(code="C-X").count() == 0


def test_delete_by_get_is_not_possible(admin_client, sample, db_session):
    company = sample["acme"]
    response = admin_client.get(f"/companyview/delete/{company.id}")
    assert response.status_code in (302, 405)
    db_session.expire_all()
    assert db_session.get(Company, company.id) is not None


def test_show_pages_list_related_records(admin_client, sample):
    company = sample["sakura"]
    html = admin_client.get(f"/companyview/show/{company.id}").get_data(as_text=True)
    assert "会計システム導入" in html and "佐藤 花子" in html
    deal = sample["with_lines"]
    html = admin_client.get(f"/dealview/show/{deal.id}").get_data(as_text=True)
    assert "導入支援" in html and "お弁当" in html
    assert "20.0000" not in html and "<td>20</td>" in html  # quantities as people write them
    assert "￥319,440" in html or "¥319,440" in html


def test_money_shown_with_currency_minor_units(admin_client, sample):
    html = admin_client.get("/dealview/list/?_l_=en").get_data(as_text=True)
    assert "¥319,440" in html or "￥319,440" in html
    assert "$12,000.50" in html or "US$12,000.50" in html
