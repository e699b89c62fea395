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
    }
