"""Benchmark: a zip of N invoice PDFs as jobs on two real worker processes.

Makes N one-page invoices (``RENKEI_BENCH_PDFS``, default 1000) on a throw-away
PostgreSQL database, asks for their zip as the accounting user would (one bundle, chunks
of PDF_BUNDLE_CHUNK), starts two ``python worker.py default --burst`` processes and times
the bundle from the request to "done": first with nothing stored (every PDF rendered),
then again (every stored PDF reused). Reports PDFs per second for both.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from tests.bench.common import REDIS_URL, bench_app, write_result

ROOT = Path(__file__).resolve().parents[2]


def _make_invoices(session, count: int) -> list[int]:
    from app.services.documents import approvals, issuing
    from tests.documents.conftest import line
    from tests.factories import ensure_issuer, make_sample

    sample = make_sample(session)
    ensure_issuer(session)
    accountant = _user("accounting")
    ids = []
    for n in range(count):
        doc = issuing.new_document(
            "invoice",
            sample["sakura"],
            user=accountant,
            lines=[line(name=f"保守サポート {n}", price=str(10000 + n)), line(name="導入支援")],
        )
        approvals.submit(doc, accountant)
        ids.append(doc.id)
    return ids


def _user(name):
    from flask import current_app

    return current_app.appbuilder.sm.find_user(username=name)


def _bundle_once(app, ids: list[int], workers: int) -> dict:
    import redis

    from app.extensions import db
    from app.models.pdf_bundles import PdfBundle
    from app.services.documents.pdf_bundles import start_bundle

    redis.Redis.from_url(REDIS_URL).flushdb()
    started = time.perf_counter()
    bundle = start_bundle("invoice", ids, _user("accounting"))
    env = {**os.environ, "REDIS_URL": REDIS_URL}
    procs = [
        subprocess.Popen(
            [sys.executable, "worker.py", "default", "--burst"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(workers)
    ]
    for proc in procs:
        proc.wait(3600)
    elapsed = time.perf_counter() - started
    db.session.expire_all()
    done = db.session.get(PdfBundle, bundle.id)
    assert done.state == "done", (done.state, done.error)
    return {
        "pdfs": done.total,
        "chunks": done.chunks,
        "seconds": round(elapsed, 1),
        "pdfs_per_s": round(done.total / elapsed, 1),
        "zip_mb": round(done.size / 1048576, 1),
    }


def document_vs_bare(ids: list[int], sample: int = 20) -> dict:
    """``render_document`` (data from the database, template, render, store) of documents
    never printed, against a bare xhtml2pdf render of the same HTML."""
    import io
    import statistics

    from xhtml2pdf import pisa

    from app.extensions import db
    from app.models.documents import Document
    from app.pdf.render import FONT_DIR, _policy, render_html
    from app.services.documents import templates
    from app.services.documents.pdf import document_pdf_data, render_document

    accountant = _user("accounting")
    ours, plain = [], []
    for document_id in ids[:sample]:
        document = db.session.get(Document, document_id)
        template = templates.require_active("pdf", document.kind, document.language)
        data = document_pdf_data(document)
        html = render_html(
            data,
            f"{document.kind}/{document.language}",
            str(template.version),
            source=template.body,
            language=document.language,
        )
        start = time.perf_counter()
        pisa.CreatePDF(
            html,
            dest=io.BytesIO(),
            encoding="utf-8",
            resource_policy=_policy(data),
            path=str(FONT_DIR),
        )
        plain.append(time.perf_counter() - start)
        db.session.expire_all()
        document = db.session.get(Document, document_id)
        start = time.perf_counter()
        render_document(document, accountant)
        ours.append(time.perf_counter() - start)
    return {
        "documents": len(ours),
        "render_document_median_ms": round(statistics.median(ours) * 1000, 1),
        "bare_xhtml2pdf_median_ms": round(statistics.median(plain) * 1000, 1),
        "ratio": round(statistics.median(ours) / statistics.median(plain), 3),
    }


def run() -> dict:
    count = int(os.environ.get("RENKEI_BENCH_PDFS", "1000"))
    with bench_app() as (app, _server):
        with app.app_context():
            from app.extensions import db

            made = time.perf_counter()
            ids = _make_invoices(db.session, count + 20)  # 20 more to time one by one
            setup = round(time.perf_counter() - made, 1)
            versus = document_vs_bare(ids[count:])
            first = _bundle_once(app, ids[:count], workers=2)
            second = _bundle_once(app, ids[:count], workers=2)
    rows = {
        "invoices": count,
        "setup_s": setup,
        "render_document vs bare": versus,
        "rendered (nothing stored)": first,
        "reused (all stored)": second,
    }
    write_result("pdf_bundle", rows)
    return rows


if __name__ == "__main__":
    run()
