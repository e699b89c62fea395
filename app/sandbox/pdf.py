"""A small real PDF of a sandbox document: what the providers' PDF endpoints serve.

Drawn with reportlab and one of its built-in Japanese CID fonts (nothing to embed), so
partner names and titles in Japanese come out as text. Not a faithful copy of any
provider's layout: enough for a client to fetch, a browser to show and a test to read.
"""

from __future__ import annotations

import io

from flask import Response

FONT = "HeiseiKakuGo-W5"
_registered = False


def _font() -> str:
    global _registered
    if not _registered:
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.cidfonts import UnicodeCIDFont

        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
        _registered = True
    return FONT


def document_pdf(heading: str, rows: list[tuple[str, object]]) -> bytes:
    """A one-page PDF: ``heading`` and one "label: value" line per row."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4, invariant=1)
    page.setTitle(heading)
    width, height = A4
    page.setFont(_font(), 20)
    page.drawString(56, height - 72, heading)
    page.setFont(_font(), 11)
    y = height - 110
    for label, value in rows:
        page.drawString(56, y, f"{label}: {value if value is not None else ''}")
        y -= 18
    page.showPage()
    page.save()
    return buffer.getvalue()


def pdf_response(content: bytes, filename: str) -> Response:
    """``content`` as the providers send a PDF: application/pdf, inline, with a name."""
    response = Response(content, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return response
