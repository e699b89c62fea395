"""Invoice PDFs: the six items of a qualified invoice, ※ marks, embedded Japanese font."""

from __future__ import annotations

import io
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
from pypdf import PdfReader

from app.pdf.render import FONT_FILE, render_html, render_invoice_pdf
from app.pdf.sample import sample_invoice_data
from app.services.errors import InvalidInput

SHOTS = Path("/tmp/pdfshots")


def _text(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def _flat(text: str) -> str:
    return "".join(text.split())


@pytest.fixture(scope="module")
def data():
    return sample_invoice_data()


@pytest.fixture(scope="module")
def ja_pdf(data):
    return render_invoice_pdf(data)


@pytest.fixture(scope="module")
def en_pdf(data):
    return render_invoice_pdf(data, template="document_en.html")


def test_font_and_licence_ship_with_the_app():
    assert FONT_FILE.is_file() and FONT_FILE.stat().st_size > 1_000_000
    assert (FONT_FILE.parent / "IPA_Font_License_Agreement_v1.0.txt").is_file()


def test_japanese_invoice_shows_the_six_required_items(ja_pdf, data):
    text = _flat("".join(_text(ja_pdf)))
    assert "請求書" in text
    assert "株式会社レンケイ商事" in text and "T5835678256246" in text  # issuer, 登録番号
    assert "株式会社サンプル御中" in text  # recipient
    assert "取引年月日2026年10月31日" in text  # transaction date
    assert "発行日2026年11月22日" in text and "お支払期限2026年12月31日" in text
    for line in data.lines:
        assert _flat(line.name) in text
    assert "お茶菓子セット※" in text and "業界新聞定期購読※" in text
    assert "コンサルティング業務（10月分）※" not in text
    assert "※は軽減税率対象" in text
    # Per-rate totals and tax (hand-checked: 8 % on 9,799 rounded down = 783).
    assert "10%対象￥159,800￥15,980" in text
    assert "8%対象（軽減税率）※￥9,799￥783" in text
    assert "非課税￥200￥0" in text
    assert "￥186,562" in text


def test_english_invoice_shows_the_same_facts(en_pdf):
    text = _flat("".join(_text(en_pdf)))
    for needle in (
        "INVOICE",
        "Registration No.: T5835678256246".replace(" ", ""),
        "To:株式会社サンプル",
        "31October2026",  # transaction date in words, no padding
        "Issuedate22November2026",
        "Subjectクラウド会計導入支援（10月分）",
        "Bankdetailsforpaymentみずほ銀行",
        "Tel:03-1234-5678",
        "Email:billing@renkei.example.com",
        "お茶菓子セット※",
        "10%items¥159,800¥15,980",
        "8%items(reducedrate)※¥9,799¥783",
        "Total(taxincl.)¥186,562",
        "※",
    ):
        assert needle in text, needle


def test_subject_bank_account_phone_and_email_are_printed(ja_pdf):
    text = _flat("".join(_text(ja_pdf)))
    assert "件名クラウド会計導入支援（10月分）" in text
    assert "お振込先みずほ銀行丸の内支店普通1234567" in text
    assert "TEL：03-1234-5678" in text and "メール：billing@renkei.example.com" in text


def test_dates_read_naturally_without_zero_padding():
    from datetime import date

    from app.pdf.render import long_date

    assert long_date(date(2026, 12, 2)) == "2026年12月2日"
    assert long_date(date(2026, 12, 2), "en") == "2 December 2026"
    assert long_date(date(2027, 1, 31), "en") == "31 January 2027"
    assert long_date(None) == ""


@pytest.mark.parametrize("which", ["ja_pdf", "en_pdf"])
def test_template_version_is_in_the_metadata_not_on_the_page(which, request):
    pdf = request.getfixturevalue(which)
    text = _flat("".join(_text(pdf)))
    assert "template" not in text.lower() and "v1" not in text
    meta = PdfReader(io.BytesIO(pdf)).metadata
    assert "Renkei template document_" in meta["/Keywords"] and "v2026-11-2" in meta["/Keywords"]
    assert meta["/Author"] == "株式会社レンケイ商事"
    assert meta["/Subject"] == "クラウド会計導入支援（10月分）"


@pytest.mark.parametrize("which", ["ja_pdf", "en_pdf"])
def test_ipaexgothic_is_embedded(which, request):
    reader = PdfReader(io.BytesIO(request.getfixturevalue(which)))
    embedded = []
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font.get("/FontDescriptor")
            if descriptor is not None and "/FontFile2" in descriptor.get_object():
                embedded.append(str(font["/BaseFont"]))
    assert any("IPAexGothic" in name for name in embedded), embedded


def test_nothing_outside_is_referenced(data):
    html = render_html(data)
    assert "http://" not in html and "https://" not in html


def test_bad_brand_colour_is_refused(data):
    with pytest.raises(InvalidInput):
        render_html(replace(data, brand_colour="red; background: url(http://x)"))


def test_ten_page_invoice_repeats_the_table_header():
    pdf = render_invoice_pdf(sample_invoice_data(line_count=300), page_count=True)
    pages = _text(pdf)
    assert len(pages) >= 10
    assert f"{len(pages)}/{len(pages)}" in pages[-1]
    for page in pages[:-1]:
        assert "品目数量単位単価金額（税抜）税率" in _flat(page)
    last = _flat(pages[-1])  # the ※ note and the totals box stay together
    assert "※は軽減税率対象" in last and "8%対象（軽減税率）※" in last and "合計（税込）" in last
    _shoot(pdf, "ja-long", last=2)


@pytest.mark.skipif(not shutil.which("pdftoppm"), reason="poppler-utils not installed")
def test_pictures_for_a_person_to_look_at(ja_pdf, en_pdf):
    for name, pdf in (("ja", ja_pdf), ("en", en_pdf)):
        assert _shoot(pdf, name).stat().st_size > 5_000


def _shoot(pdf: bytes, name: str, last: int = 1) -> Path:
    if not shutil.which("pdftoppm"):
        return Path()
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS / f"{name}.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", str(last), f"{name}.pdf", name],
        cwd=SHOTS,
        check=True,
    )
    return next(SHOTS.glob(f"{name}-*1.png"))


def test_logo_from_its_own_folder_is_drawn(tmp_path, data):
    from PIL import Image

    logo = tmp_path / "logo.png"
    Image.new("RGB", (120, 40), "#1f4e79").save(logo)
    pdf = render_invoice_pdf(replace(data, logo_path=logo))
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    xobjects = page["/Resources"].get("/XObject", {})
    assert any(x.get_object()["/Subtype"] == "/Image" for x in xobjects.values())
    _shoot(pdf, "ja-logo")
