"""Benchmark: invoice PDFs per second (xhtml2pdf, embedded IPAexGothic subset).

Renders a 1-page (5 lines) and a 10-page (300 lines) Japanese invoice a few times each
and reports the best and median time and PDFs per second. No database needed.

``bare`` compares Renkei's render (template filled in the sandbox, then xhtml2pdf) with
a bare ``pisa.CreatePDF`` of the same HTML, interleaved run by run; the ratio is
Renkei's median over the bare median.
"""

from __future__ import annotations

import io
import statistics
import time

from app.pdf.render import render_invoice_pdf
from app.pdf.sample import sample_invoice_data

CASES = (("1 page", 5, 7), ("10 pages", 300, 3))
# Renkei against bare xhtml2pdf: (case, lines, runs), each run interleaved.
BARE_CASES = (("1 page", 5, 15), ("2 pages", 40, 7))


def run() -> dict:
    """Measure each case; return ``{case: {pages, runs, best_ms, median_ms, pdfs_per_s}}``."""
    from pypdf import PdfReader  # only to count pages

    results = {}
    render_invoice_pdf(sample_invoice_data(1))  # warm-up: templates, font parsing
    for label, lines, runs in CASES:
        data = sample_invoice_data(lines)
        timings = []
        for _ in range(runs):
            start = time.perf_counter()
            pdf = render_invoice_pdf(data)
            timings.append(time.perf_counter() - start)
        median = statistics.median(timings)
        results[label] = {
            "pages": len(PdfReader(io.BytesIO(pdf)).pages),
            "bytes": len(pdf),
            "runs": runs,
            "best_ms": round(min(timings) * 1000, 1),
            "median_ms": round(median * 1000, 1),
            "pdfs_per_s": round(1 / median, 2),
        }
    print(f"{'case':<10}{'pages':>6}{'KiB':>7}{'best ms':>10}{'median ms':>11}{'PDF/s':>8}")
    for label, r in results.items():
        print(
            f"{label:<10}{r['pages']:>6}{r['bytes'] // 1024:>7}{r['best_ms']:>10}"
            f"{r['median_ms']:>11}{r['pdfs_per_s']:>8}"
        )
    return results


def bare(runs: int | None = None) -> dict:
    """Renkei's render against a bare xhtml2pdf render of the same HTML, per case."""
    from xhtml2pdf import pisa

    from app.pdf.render import FONT_DIR, _policy, render_html

    results = {}
    render_invoice_pdf(sample_invoice_data(1))  # warm-up
    for label, lines, count in BARE_CASES:
        data = sample_invoice_data(lines)
        html = render_html(data)
        ours, plain = [], []
        for _ in range(count if runs is None else runs):
            start = time.perf_counter()
            render_invoice_pdf(data)
            ours.append(time.perf_counter() - start)
            start = time.perf_counter()
            out = io.BytesIO()
            pisa.CreatePDF(
                html, dest=out, encoding="utf-8", resource_policy=_policy(data), path=str(FONT_DIR)
            )
            plain.append(time.perf_counter() - start)
        results[label] = {
            "renkei_median_ms": round(statistics.median(ours) * 1000, 1),
            "bare_median_ms": round(statistics.median(plain) * 1000, 1),
            "ratio": round(statistics.median(ours) / statistics.median(plain), 3),
        }
    for label, r in results.items():
        print(
            f"{label:<10} renkei {r['renkei_median_ms']} ms  bare {r['bare_median_ms']} ms"
            f"  ratio {r['ratio']}"
        )
    return results


if __name__ == "__main__":
    run()
    bare()
