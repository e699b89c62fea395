"""Demo data: companies, contacts, products, deal types and deals, in Japanese and English.

Deterministic (seeded) so screenshots and tests see the same records every time.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from app.models.crm import Company, Contact, Deal, DealLine, DealType, Product

COMPANIES = [
    ("株式会社さくら商事", "サクラショウジ", "東京都", "千代田区丸の内1-1-1"),
    ("富士山システムズ株式会社", "フジサンシステムズ", "静岡県", "静岡市葵区追手町9-6"),
    ("株式会社みなと物流", "ミナトブツリュウ", "神奈川県", "横浜市中区山下町2"),
    ("合同会社あおば設計", "アオバセッケイ", "宮城県", "仙台市青葉区国分町3-7-1"),
    ("株式会社なにわ食品", "ナニワショクヒン", "大阪府", "大阪市中央区難波5-1-60"),
    ("北海道ファーム株式会社", "ホッカイドウファーム", "北海道", "札幌市中央区北1条西2"),
    ("株式会社きょうと織物", "キョウトオリモノ", "京都府", "京都市下京区烏丸通四条下ル"),
    ("博多テック株式会社", "ハカタテック", "福岡県", "福岡市博多区博多駅前2-1-1"),
    ("株式会社しずく化粧品", "シズクケショウヒン", "愛知県", "名古屋市中村区名駅4-7-1"),
    ("瀬戸内マリン株式会社", "セトウチマリン", "広島県", "広島市中区基町10-52"),
    ("株式会社ひかり電機", "ヒカリデンキ", "埼玉県", "さいたま市大宮区桜木町1-7-5"),
    ("有限会社たけのこ書房", "タケノコショボウ", "東京都", "文京区本郷7-3-1"),
    ("株式会社つばめ交通", "ツバメコウツウ", "新潟県", "新潟市中央区万代1-6-1"),
    ("株式会社いろは出版", "イロハシュッパン", "東京都", "新宿区西新宿2-8-1"),
    ("沖縄リゾート開発株式会社", "オキナワリゾートカイハツ", "沖縄県", "那覇市泉崎1-2-2"),
    ("株式会社もみじ建設", "モミジケンセツ", "広島県", "廿日市市宮島町1-1"),
    ("株式会社かがやき医療", "カガヤキイリョウ", "石川県", "金沢市広坂1-1-1"),
    ("株式会社あさひ印刷", "アサヒインサツ", "千葉県", "千葉市中央区市場町1-1"),
    ("Acme Trading Ltd.", None, None, "1 Market Street, London"),
    ("Blue Harbor Analytics Inc.", None, None, "500 Howard St, San Francisco, CA"),
    ("Nordlicht Software GmbH", None, None, "Friedrichstraße 68, Berlin"),
    ("Maple Leaf Logistics Corp.", None, None, "100 King St W, Toronto, ON"),
    ("Lion City Foods Pte. Ltd.", None, None, "1 Raffles Place, Singapore"),
    ("Southern Cross Mining Pty", None, None, "1 Macquarie St, Sydney NSW"),
    ("Helios Energy S.A.", None, None, "Rue de la Loi 16, Brussels"),
    ("Kestrel Robotics LLC", None, None, "77 Massachusetts Ave, Cambridge, MA"),
    ("Seoul Bright Co., Ltd.", None, None, "110 Sejong-daero, Jung-gu, Seoul"),
    ("Taipei Silicon Corp.", None, None, "7 Xinyi Rd, Taipei"),
    ("Evergreen Studio", None, None, "12 Pine Ave, Portland, OR"),
    ("Quantum Leaf Media", None, None, "3 Harbour Rd, Hong Kong"),
]

PEOPLE_JA = [
    ("佐藤 花子", "サトウ ハナコ"),
    ("鈴木 一郎", "スズキ イチロウ"),
    ("高橋 美咲", "タカハシ ミサキ"),
    ("田中 健太", "タナカ ケンタ"),
    ("伊藤 さくら", "イトウ サクラ"),
    ("渡辺 翔", "ワタナベ ショウ"),
    ("山本 由美", "ヤマモト ユミ"),
    ("中村 大輔", "ナカムラ ダイスケ"),
]
PEOPLE_EN = [
    "Alice Carter",
    "Ben Müller",
    "Chloe Tan",
    "Daniel Kim",
    "Emma Roux",
    "Frank Osei",
    "Grace Liu",
    "Henry Walsh",
]
DEPARTMENTS = ["経理部", "営業部", "総務部", "情報システム部", "Finance", "Procurement"]

PRODUCTS = [
    ("SVC-001", "クラウド会計導入支援", "式", "300000", "standard_10"),
    ("SVC-002", "月額保守サポート", "月", "50000", "standard_10"),
    ("SVC-003", "請求書連携設定", "式", "120000", "standard_10"),
    ("SVC-004", "Consulting (hourly)", "時間", "15000", "standard_10"),
    ("LIC-001", "Renkei Standard ライセンス", "ユーザー", "3000", "standard_10"),
    ("LIC-002", "Renkei Enterprise ライセンス", "ユーザー", "6000", "standard_10"),
    ("TRN-001", "操作研修（半日）", "回", "80000", "standard_10"),
    ("FD-001", "お弁当（会議用）", "個", "1080", "reduced_8"),
    ("FD-002", "ミネラルウォーター 500ml", "本", "120", "reduced_8"),
    ("PUB-001", "業界新聞 定期購読", "月", "4500", "reduced_8"),
    ("HW-001", "ノートPC", "台", "168000", "standard_10"),
    ("HW-002", "レシートプリンター", "台", "32000", "standard_10"),
    ("FEE-001", "収入印紙代（立替）", "式", "200", "exempt"),
    ("SVC-005", "Data migration", "式", "450000", "standard_10"),
    ("SVC-006", "Annual support plan", "年", "600000", "standard_10"),
]

DEAL_TYPES = [
    ("standard", "標準", "Standard one-off sale"),
    ("subscription", "サブスクリプション", "Recurring subscription"),
    ("project", "プロジェクト", "Project with milestones"),
]

STAGES = ["lead", "qualified", "proposal", "negotiation", "won", "won", "lost"]
TITLES_JA = [
    "会計システム導入",
    "請求業務効率化",
    "年間保守契約",
    "ライセンス追加",
    "研修実施",
    "データ移行",
    "ハードウェア更新",
]
TITLES_EN = [
    "ERP rollout",
    "Invoice automation",
    "Annual support",
    "License expansion",
    "Training programme",
    "Data migration",
    "Hardware refresh",
]


def load_demo_data(session, owners=(), seed: int = 7) -> dict[str, int]:
    """Insert the demo records unless companies exist; return how many of each were made."""
    if session.query(Company).count():
        return {}
    rng = random.Random(seed)
    types = [DealType(code=c, name=n, description=d) for c, n, d in DEAL_TYPES]
    products = [
        Product(code=c, name=n, unit=u, unit_price=Decimal(p), tax_rate=t)
        for c, n, u, p, t in PRODUCTS
    ]
    session.add_all(types + products)
    companies, contacts, deals = [], [], []
    for i, (name, kana, pref, address) in enumerate(COMPANIES, start=1):
        japanese = kana is not None
        company = Company(
            code=f"C{i:04d}",
            name=name,
            kana=kana,
            prefecture=pref,
            address1=address,
            phone=f"03-{1000 + i:04d}-{2000 + i:04d}",
            email=f"billing{i}@example.com",
            postal_code=f"{100 + i:03d}-{1000 + i:04d}" if japanese else None,
        )
        companies.append(company)
        people = PEOPLE_JA if japanese else [(p, None) for p in PEOPLE_EN]
        for j in range(2):
            person, person_kana = people[(i + j) % len(people)]
            contacts.append(
                Contact(
                    company=company,
                    name=person,
                    kana=person_kana,
                    department=rng.choice(DEPARTMENTS),
                    email=f"contact{i}-{j}@example.com",
                )
            )
    today = dt.date(2026, 11, 1)
    for i in range(60):
        company = companies[i % len(companies)]
        japanese = company.kana is not None
        title = rng.choice(TITLES_JA if japanese else TITLES_EN)
        currency = "JPY" if japanese or rng.random() < 0.5 else rng.choice(["USD", "EUR"])
        deal = Deal(
            title=f"{company.name} {title}",
            company=company,
            contact=[c for c in contacts if c.company is company][0],
            deal_type=types[i % len(types)],
            stage=rng.choice(STAGES),
            currency=currency,
            owner_id=owners[i % len(owners)] if owners else None,
            expected_close_date=today + dt.timedelta(days=rng.randint(-60, 120)),
        )
        if i % 5 == 4:  # some deals carry only a contract amount, no lines
            yen = Decimal(rng.randrange(100_000, 5_000_000, 10_000))
            deal.amount = yen if currency == "JPY" else (yen / 150).quantize(Decimal("0.01"))
        else:
            for position in range(1, rng.randint(2, 4) + 1):
                product = rng.choice(products)
                price = (
                    product.unit_price
                    if currency == "JPY"
                    else (product.unit_price / Decimal(150)).quantize(Decimal("0.01"))
                )
                deal.lines.append(
                    DealLine(
                        position=position,
                        product=product,
                        name=product.name,
                        unit=product.unit,
                        unit_price=price,
                        tax_rate=product.tax_rate,
                        quantity=Decimal(rng.choice([1, 1, 2, 3, 5, 10])),
                        discount_percent=Decimal(rng.choice([0, 0, 0, 5, 10])),
                    )
                )
        deals.append(deal)
    session.add_all(companies + contacts + deals)
    session.commit()
    return {
        "companies": len(companies),
        "contacts": len(contacts),
        "products": len(products),
        "deal_types": len(types),
        "deals": len(deals),
        **load_demo_documents(session),
        **_demo_reminders(session),
        **_demo_billing_gated(session),
        **_demo_orders(session),
        **_demo_subscriptions(session),
    }


def _demo_reminders(session) -> dict[str, int]:
    from app.services.demo_reminders import load_demo_reminders
    from app.services.documents.lifecycle import today_tokyo

    return load_demo_reminders(session, today_tokyo())


def _demo_billing_gated(session) -> dict[str, int]:
    from app.services.demo_billing_gated import load_demo_gated
    from app.services.documents.lifecycle import today_tokyo

    return load_demo_gated(session, today_tokyo())


def _demo_rates(session, today: dt.date) -> None:
    """Finance's exchange rates (0020_entities): USD→JPY monthly, JPY→USD once."""
    from app.models.exchange_rates import ExchangeRate

    if session.query(ExchangeRate).count():
        return  # finance's rates are kept as they are
    for months, rate in ((4, "149.85"), (3, "151.20"), (2, "152.45"), (1, "150.10")):
        day = today - dt.timedelta(days=30 * months)
        session.add(ExchangeRate(from_currency="USD", to_currency="JPY", valid_on=day, rate=rate))
    session.add(
        ExchangeRate(
            from_currency="JPY",
            to_currency="USD",
            valid_on=today - dt.timedelta(days=30),
            rate=Decimal("0.00666"),
        )
    )
    session.commit()


def _demo_us_invoice(session, company, user, today: dt.date):
    """The US subsidiary (prefix US-, base currency USD) and one invoice of its own."""
    from app.models.documents import LegalEntity
    from app.services.documents import issuing

    subsidiary = LegalEntity(
        name="Renkei Inc.",
        name_en="Renkei Inc.",
        number_prefix="US-",
        address="350 Fifth Avenue, New York, NY 10118, USA",
        email="billing@us.renkei.example.com",
        bank_account="Chase Bank · ACH routing 021000021 · Account 123456789",
        base_currency="USD",
        tax_rounding="half_up",
        brand_colour="#7a1f3d",
    )
    session.add(subsidiary)
    session.commit()
    issued = today - dt.timedelta(days=3)
    line = {
        "name": "Integration support (US)",
        "unit": "h",
        "unit_price": Decimal("180.00"),
        "quantity": Decimal(12),
        "tax_rate": "exempt",
    }
    return issuing.new_document(
        "invoice",
        company,
        user=user,
        legal_entity=subsidiary,
        lines=[line],
        currency="USD",
        language="en",
        issue_date=issued,
        due_date=issued + dt.timedelta(days=30),
    )


def _demo_orders(session) -> dict[str, int]:
    from app.services.demo_orders import load_demo_orders
    from app.services.documents.lifecycle import today_tokyo

    return load_demo_orders(session, today_tokyo())


def _demo_subscriptions(session) -> dict[str, int]:
    from app.services.demo_subscriptions import load_demo_subscriptions
    from app.services.documents.lifecycle import today_tokyo

    return load_demo_subscriptions(session, today_tokyo())


# --- Documents (issue 5) ----------------------------------------------------------------
# 適格請求書発行事業者登録番号 with a check digit that python-stdnum accepts.
DEMO_ENTITY_NUMBER = "T9010401123456"
REJECTION_REASON = "割引率が20%を超えています。15%以内に見直して再申請してください。"


def _user(session, username):
    from flask_appbuilder.security.sqla.models import User

    return session.query(User).filter_by(username=username).first()


def _move(session, document, state, user, when=None):
    """Move a demo document along (e.g. to "sent") as ``user`` would, with a trail."""
    from app.services.actor import acting_as
    from app.services.documents import lifecycle

    with acting_as(user):
        lifecycle.move(document, state)
        if state == "sent":
            document.sent_at = when or dt.datetime.now(dt.UTC).replace(tzinfo=None)
        session.commit()


def load_demo_documents(session) -> dict[str, int]:
    """A legal entity, two approval rules and ~15 documents in every kind and state.

    Dates are counted from today in Tokyo, so some invoices are always overdue; the rest
    is fixed, so the demo looks the same every time it is loaded.
    """
    from app.models.documents import ApprovalRule, Document, LegalEntity
    from app.services.documents import approvals, issuing, payments
    from app.services.documents.lifecycle import today_tokyo

    if session.query(LegalEntity).count():
        return {}
    entity = LegalEntity(
        name="株式会社レンケイ",
        name_en="Renkei K.K.",
        registration_number=DEMO_ENTITY_NUMBER,
        postal_code="100-0005",
        address="東京都千代田区丸の内2-7-2",
        phone="03-1234-5678",
        email="billing@renkei.example.com",
        bank_account="みずほ銀行 丸の内支店 普通 1234567 カ）レンケイ",
        tax_rounding="down",
        brand_colour="#1f4e79",
    )
    rules = [
        ApprovalRule(name="高額案件（100万円以上）", currency="JPY", min_amount=Decimal(1_000_000)),
        ApprovalRule(name="大幅値引き（20%超）", max_discount_percent=Decimal(20)),
    ]
    session.add_all([entity, *rules])
    session.commit()
    _demo_rates(session, today_tokyo())  # before the USD invoice below leaves draft

    sales, accounting = _user(session, "sales"), _user(session, "accounting")
    approver = _user(session, "approver")
    today = today_tokyo()
    products = {p.code: p for p in session.query(Product).all()}
    companies = session.query(Company).order_by(Company.code).all()

    def line(code, quantity=1, discount=0, price=None):
        product = products[code]
        return {
            "product": product,
            "name": product.name,
            "unit": product.unit,
            "unit_price": price if price is not None else product.unit_price,
            "quantity": Decimal(quantity),
            "discount_percent": Decimal(discount),
            "tax_rate": product.tax_rate,
        }

    def doc(kind, company_index, lines, days_ago=0, due_in=30, user=accounting, **fields):
        company = companies[company_index]
        issued = today - dt.timedelta(days=days_ago)
        return issuing.new_document(
            kind,
            company,
            user=user,
            legal_entity=entity,
            lines=lines,
            issue_date=issued,
            due_date=issued + dt.timedelta(days=due_in) if kind == "invoice" else None,
            **fields,
        )

    def issue(document, user=accounting, days_ago=0):
        approvals.submit(document, user)
        if document.state == "pending_approval":
            approvals.decide(document, approver, True, "確認しました。")
        when = dt.datetime.combine(today - dt.timedelta(days=days_ago), dt.time(1, 0))
        _move(session, document, "sent", user, when)
        return document

    def pay(document, amount, days_ago, reference):
        payments.record_payment(
            document,
            Decimal(amount),
            today - dt.timedelta(days=days_ago),
            user=accounting,
            reference=reference,
        )

    made = []
    # Drafts: one plain, one sent back by the approver with a reason.
    made.append(doc("invoice", 0, [line("SVC-002", 3), line("FD-001", 20)]))
    rejected = doc("invoice", 1, [line("LIC-002", 50, discount=25)], user=sales)
    approvals.submit(rejected, sales)
    approvals.decide(rejected, approver, False, REJECTION_REASON)
    made.append(rejected)
    # Waiting for approval: 1,350,000 yen before tax is above the 1,000,000 rule.
    pending = doc("invoice", 2, [line("SVC-005", 3)], user=sales)
    approvals.submit(pending, sales)
    made.append(pending)
    # Approved, not yet sent.
    approved = doc("invoice", 3, [line("TRN-001", 1), line("FD-002", 40)])
    approvals.submit(approved, accounting)
    made.append(approved)
    # Sent and not yet due; sent and overdue; partially paid (overdue and not).
    made.append(issue(doc("invoice", 4, [line("SVC-003"), line("PUB-001", 12)], days_ago=5)))
    made.append(issue(doc("invoice", 5, [line("HW-001", 2)], days_ago=60), days_ago=60))
    late_part = issue(doc("invoice", 6, [line("SVC-001"), line("FD-001", 30)], days_ago=50))
    pay(late_part, 150_000, 10, "振込 ｷｮｳﾄｵﾘﾓﾉ")
    made.append(late_part)
    part = issue(doc("invoice", 7, [line("LIC-001", 40), line("SVC-002", 2)], days_ago=10))
    pay(part, 50_000, 2, "振込 ﾊｶﾀﾃｯｸ")
    made.append(part)
    # Paid in full, then credited in part by a sent credit note.
    paid = issue(doc("invoice", 8, [line("HW-002", 3), line("FEE-001")], days_ago=40))
    pay(paid, paid.total, 5, "振込 ｼｽﾞｸｹｼｮｳﾋﾝ")
    made.append(paid)
    credit_source = issue(doc("invoice", 9, [line("SVC-004", 10)], days_ago=20))
    credit = issuing.credit_note_for(credit_source, user=accounting)
    credit.lines[0].quantity = Decimal(2)
    session.commit()
    made.append(issue(credit, days_ago=3))
    made.append(credit_source)
    # Disputed; and an overdue one in US dollars.
    disputed = issue(doc("invoice", 10, [line("LIC-002", 10)], days_ago=45))
    _move(session, disputed, "disputed", accounting)
    made.append(disputed)
    made.append(
        issue(
            doc("invoice", 18, [line("SVC-004", 12, price=Decimal("100.00"))], 70, currency="USD"),
            days_ago=70,
        )
    )
    # Quotes: a draft, a sent one, and one converted into a draft invoice.
    made.append(doc("quote", 11, [line("SVC-006"), line("LIC-001", 20)], user=sales))
    made.append(issue(doc("quote", 12, [line("SVC-001"), line("TRN-001", 2)], 8)))
    converted = issue(doc("quote", 13, [line("SVC-003"), line("SVC-002", 12)], 15))
    made.append(converted)
    made.append(issuing.convert_quote(converted, user=accounting))
    # A delivery note for the paid hardware.
    made.append(issue(doc("delivery_note", 8, [line("HW-002", 3)], days_ago=41)))
    # A second legal entity numbering on its own (US-INV-000001), issuing in dollars.
    made.append(issue(_demo_us_invoice(session, companies[18], accounting, today), days_ago=3))
    return {
        "legal_entities": 2,
        "approval_rules": len(rules),
        "documents": session.query(Document).count(),
    }
