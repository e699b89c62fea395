"""Render a document PDF from an HTML Jinja template with the embedded IPAexGothic font.

The layouts in ``app/pdf/templates`` are the defaults: ``template_source`` gives one as a
single self-contained text (its shared style inlined), which is what the versioned
templates in the database start from. Sources are compiled in Jinja's sandbox, because
template versions are written by people in the console, and undefined names are errors,
so a typo is refused when the version is proposed rather than printed blank. Only the font
folder (and the logo's folder, when a logo is given) may be read while rendering; nothing
is fetched from the network.
"""

from __future__ import annotations

import functools
import io
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

from jinja2 import StrictUndefined, Template, TemplateError
from xhtml2pdf import pisa
from xhtml2pdf.config.resources import ResourceAccessPolicy

from app.pdf.bounded import BoundedSandbox, check_source_size, render_bounded
from app.pdf.data import InvoicePdfData
from app.services.errors import InvalidInput
from app.services.money import format_money

PDF_DIR = Path(__file__).resolve().parent
FONT_DIR = PDF_DIR / "fonts"
FONT_FILE = FONT_DIR / "ipaexg.ttf"
TEMPLATE_DIR = PDF_DIR / "templates"
TEMPLATE_VERSION = "2026-11-2"
DEFAULT_TEMPLATES = {"ja": "document_ja.html", "en": "document_en.html"}
_INCLUDE = re.compile(r'{%-?\s*include\s+"(_[a-z_]+\.html)"\s*-?%}')
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


def _quantity(value: Decimal) -> str:
    """A quantity without useless trailing zeros: 2, 1.5."""
    return format(Decimal(value).normalize(), "f")


_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def long_date(value: date | None, language: str = "ja") -> str:
    """A date as people write it: 2026年12月2日, or 2 December 2026 (no zero padding)."""
    if value is None:
        return ""
    if language == "en":
        return f"{value.day} {_MONTHS[value.month - 1]} {value.year}"
    return f"{value.year}年{value.month}月{value.day}日"


# Bounded in time and size as well (app/pdf/bounded.py): people write these templates.
_env = BoundedSandbox(
    autoescape=True, trim_blocks=True, lstrip_blocks=True, undefined=StrictUndefined
)
_env.filters["quantity"] = _quantity


def template_source(name: str = "document_ja.html") -> str:
    """A layout file as one self-contained source: its ``{% include "_…" %}`` inlined."""
    path = (TEMPLATE_DIR / name).resolve()
    if path.parent != TEMPLATE_DIR or not path.is_file():
        raise InvalidInput(f"No PDF layout {name!r}.", field="template")

    def inline(match: re.Match) -> str:
        return (TEMPLATE_DIR / match.group(1)).read_text(encoding="utf-8")

    return _INCLUDE.sub(inline, path.read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=64)
def compile_source(source: str) -> Template:
    """Compile a template source in the sandbox; a syntax error becomes InvalidInput."""
    check_source_size(source)
    try:
        return _env.from_string(source)
    except TemplateError as exc:
        line = getattr(exc, "lineno", None)
        where = f" (line {line})" if line else ""
        raise InvalidInput(f"The template does not compile{where}: {exc}", field="body") from exc


def _policy(data: InvoicePdfData) -> ResourceAccessPolicy:
    """Reads confined to the font folder (and the logo's folder); no network."""
    extra = (Path(data.logo_path).resolve().parent,) if data.logo_path else ()
    return ResourceAccessPolicy(allow_remote=False, base_dir=FONT_DIR, extra_roots=extra)


def render_html(
    data: InvoicePdfData,
    template: str = "document_ja.html",
    version: str | None = None,
    page_count: bool = False,
    *,
    source: str | None = None,
    language: str | None = None,
) -> str:
    """The HTML the PDF is made from (useful to review a template change).

    Without ``source`` the layout file ``template`` is used; with it, ``source`` is the
    template text (a stored version) and ``template`` only names it in the footer.
    """
    if not _COLOUR.match(data.brand_colour or ""):
        raise InvalidInput("The brand colour must be #rrggbb.", field="brand_colour")
    if source is None:
        source = template_source(template)
    language = language or ("en" if template.endswith("_en.html") else "ja")
    locale = "en_US" if language == "en" else "ja_JP"

    def money(amount):
        return format_money(amount, data.currency, locale=locale)

    try:
        return render_bounded(
            compile_source(source),
            {
                "d": data,
                "t": data.totals,
                "money": money,
                "long_date": lambda value: long_date(value, language),
                "font_url": FONT_FILE.as_uri(),
                "logo_url": Path(data.logo_path).resolve().as_uri() if data.logo_path else None,
                "version": version or TEMPLATE_VERSION,
                "template": template,
                "page_count": page_count,
            },
        )
    except TemplateError as exc:
        raise InvalidInput(f"The template cannot be filled in: {exc}", field="body") from exc


def render_invoice_pdf(
    data: InvoicePdfData,
    template: str = "document_ja.html",
    version: str | None = None,
    *,
    page_count: bool = False,
    source: str | None = None,
    language: str | None = None,
) -> bytes:
    """Render ``data`` to PDF bytes with a layout file or a stored ``source``.

    ``version`` overrides the template version printed in the footer. ``page_count``
    prints "n/N" instead of "n" in the footer; it costs reportlab a second layout pass
    (about 40 % more time), so it is off by default.
    Raises RuntimeError when xhtml2pdf reports an error.
    """
    html = render_html(data, template, version, page_count, source=source, language=language)
    out = io.BytesIO()
    status = pisa.CreatePDF(
        html, dest=out, encoding="utf-8", resource_policy=_policy(data), path=str(FONT_DIR)
    )
    if status.err:
        raise RuntimeError(f"xhtml2pdf failed to render {template}: {status.log}")
    return out.getvalue()
