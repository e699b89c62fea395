"""Benchmark: invoice PDFs per second (xhtml2pdf, embedded IPAexGothic subset).

Renders a 1-page (5 lines) and a 10-page (300 lines) Japanese invoice a few times each
and reports the best and median time and PDFs per second. No database needed.
"""

from __future__ import annotations

import io
import statistics
import time

from app.pdf.render import render_invoice_pdf
from app.pdf.sample import sample_invoice_data

CASES = (("1 page", 5, 7), ("10 pages", 300, 3))


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


if __name__ == "__main__":
    run()
