"""Render a document PDF from an HTML Jinja template with the embedded IPAexGothic font.

Templates live in ``app/pdf/templates`` and are versioned (``TEMPLATE_VERSION``, printed
in the footer). Only the font folder (and the logo's folder, when a logo is given) may be
read while rendering; nothing is fetched from the network.
"""

from __future__ import annotations

import io
import re
from decimal import Decimal
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from xhtml2pdf import pisa
from xhtml2pdf.config.resources import ResourceAccessPolicy

from app.pdf.data import InvoicePdfData
from app.services.errors import InvalidInput
from app.services.money import format_money

PDF_DIR = Path(__file__).resolve().parent
FONT_DIR = PDF_DIR / "fonts"
FONT_FILE = FONT_DIR / "ipaexg.ttf"
TEMPLATE_DIR = PDF_DIR / "templates"
TEMPLATE_VERSION = "2026-11-1"
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")

_env = Environment(
    loader=FileSystemLoader(str(TEMPLATE_DIR)),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _quantity(value: Decimal) -> str:
    """A quantity without useless trailing zeros: 2, 1.5."""
    return format(Decimal(value).normalize(), "f")


_env.filters["quantity"] = _quantity


def _policy(data: InvoicePdfData) -> ResourceAccessPolicy:
    """Reads confined to the font folder (and the logo's folder); no network."""
    extra = (Path(data.logo_path).resolve().parent,) if data.logo_path else ()
    return ResourceAccessPolicy(allow_remote=False, base_dir=FONT_DIR, extra_roots=extra)


def render_html(
    data: InvoicePdfData,
    template: str = "invoice_ja.html",
    version: str | None = None,
    page_count: bool = False,
) -> str:
    """The HTML the PDF is made from (useful to review a template change)."""
    if not _COLOUR.match(data.brand_colour or ""):
        raise InvalidInput("The brand colour must be #rrggbb.", field="brand_colour")
    locale = "en_US" if template.endswith("_en.html") else "ja_JP"

    def money(amount):
        return format_money(amount, data.currency, locale=locale)

    return _env.get_template(template).render(
        d=data,
        t=data.totals,
        money=money,
        font_url=FONT_FILE.as_uri(),
        logo_url=Path(data.logo_path).resolve().as_uri() if data.logo_path else None,
        version=version or TEMPLATE_VERSION,
        template=template,
        page_count=page_count,
    )


def render_invoice_pdf(
    data: InvoicePdfData,
    template: str = "invoice_ja.html",
    version: str | None = None,
    *,
    page_count: bool = False,
) -> bytes:
    """Render ``data`` with ``template`` (invoice_ja.html / invoice_en.html) to PDF bytes.

    ``version`` overrides the template version printed in the footer. ``page_count``
    prints "n/N" instead of "n" in the footer; it costs reportlab a second layout pass
    (about 40 % more time), so it is off by default.
    Raises RuntimeError when xhtml2pdf reports an error.
    """
    html = render_html(data, template, version, page_count)
    out = io.BytesIO()
    status = pisa.CreatePDF(
        html, dest=out, encoding="utf-8", resource_policy=_policy(data), path=str(FONT_DIR)
    )
    if status.err:
        raise RuntimeError(f"xhtml2pdf failed to render {template}: {status.log}")
    return out.getvalue()
