"""A zip of many PDFs as jobs across the workers: chunks, progress, stored PDFs reused,
assembled once, downloaded only by the person who asked; and from the list screen."""

from __future__ import annotations

import io
import threading
import zipfile

import pytest
import sqlalchemy as sa
from rq import Queue

from app.extensions import db
from app.models.pdf_bundles import PdfBundle
from app.models.publishing import DocumentPdf
from app.services.documents import approvals, issuing
from app.services.documents.pdf import render_document
from tests.conftest import csrf_token, login
from tests.documents.conftest import line


@pytest.fixture()
def small_chunks(app):
    saved = {k: app.config[k] for k in ("PDF_BUNDLE_CHUNK", "PDF_ZIP_INLINE_MAX")}
    app.config.update(PDF_BUNDLE_CHUNK=3, PDF_ZIP_INLINE_MAX=2)
    yield
    app.config.update(saved)


@pytest.fixture()
def invoices(db_session, sample, entity, users):
    made = []
    for n in range(7):
        doc = issuing.new_document(
            "invoice",
            sample["sakura"],
            user=users["accounting"],
            lines=[line(name=f"保守 {n}", price=str(10000 + n))],
        )
        approvals.submit(doc, users["accounting"])
        made.append(doc)
    yield made
    db_session.rollback()
    for table in ("pdf_bundle_item", "pdf_bundle"):
        db_session.execute(sa.text(f"DELETE FROM {table}"))
    db_session.commit()


def _client(app, username):
    client = app.test_client()
    login(client, username)
    return client


def _post(client, url, data):
    return client.post(url, data={"csrf_token": csrf_token(client, "/invoices/list/"), **data})


def test_many_ticked_rows_make_a_zip_by_chunk_jobs_reusing_stored_pdfs(
    app, db_session, invoices, users, small_chunks, redis_conn, run_jobs, caplog
):
    stored = {d.id: render_document(d, users["accounting"]).id for d in invoices[:3]}
    client = _client(app, "accounting")
    response = _post(
        client,
        "/invoices/action_post",
        {"action": "pdf_zip", "rowid": [str(d.id) for d in invoices]},
    )
    assert response.status_code == 302
    bundle = db_session.query(PdfBundle).one()
    assert response.headers["Location"].endswith(f"/invoices/pdf_bundle/{bundle.id}")
    assert (bundle.total, bundle.chunks, bundle.state) == (7, 3, "queued")
    assert Queue("default", connection=redis_conn).count == 3  # one job per chunk
    waiting = client.get(f"/invoices/pdf_bundle/{bundle.id}?format=json").get_json()
    assert waiting["done"] == 0 and waiting["percent"] == 0
    assert client.get(f"/invoices/pdf_bundle/{bundle.id}/download").status_code == 404

    caplog.set_level("INFO", logger="renkei.jobs")
    run_jobs()  # the chunks, then the assembly the last chunk queued
    ends = [r.getMessage() for r in caplog.records if r.getMessage().startswith("job.end")]
    assert sum("job=pdf_bundle_chunk" in e for e in ends) == 3
    assert sum("job=pdf_bundle_assemble" in e for e in ends) == 1
    assert all(f"bundle_id={bundle.id}" in e and "outcome=ok" in e for e in ends)

    state = client.get(f"/invoices/pdf_bundle/{bundle.id}?format=json").get_json()
    assert state["state"] == "done", state
    assert (state["done"], state["chunks_done"], state["percent"]) == (7, 3, 100)
    page = client.get(f"/invoices/pdf_bundle/{bundle.id}?_l_=en").get_data(as_text=True)
    assert "Download the zip" in page and "7 of 7 PDFs ready" in page
    download = client.get(f"/invoices/pdf_bundle/{bundle.id}/download")
    assert download.status_code == 200 and download.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(download.data))
    assert archive.namelist() == [f"{d.number}.pdf" for d in invoices]
    db_session.expire_all()
    pdfs = db_session.query(DocumentPdf).filter(
        DocumentPdf.document_id.in_([d.id for d in invoices])
    )
    assert pdfs.count() == 7  # the three stored ones were reused, not made again
    by_document = {p.document_id: p for p in pdfs}
    for document in invoices:
        assert archive.read(f"{document.number}.pdf") == by_document[document.id].content
        if document.id in stored:
            assert by_document[document.id].id == stored[document.id]


def test_only_the_person_who_asked_downloads_it(
    app, db_session, invoices, small_chunks, redis_conn, run_jobs
):
    owner = _client(app, "accounting")
    rows = [str(d.id) for d in invoices[:4]]
    _post(owner, "/invoices/action_post", {"action": "pdf_zip", "rowid": rows})
    bundle = db_session.query(PdfBundle).one()
    run_jobs()
    assert owner.get(f"/invoices/pdf_bundle/{bundle.id}/download").status_code == 200
    other = _client(app, "admin")  # reads every invoice, but did not ask for this zip
    # a refusal on a screen is a flash and a redirect (views/refusals.py), never the zip
    for client, url in (
        (other, f"/invoices/pdf_bundle/{bundle.id}"),
        (other, f"/invoices/pdf_bundle/{bundle.id}/download"),
        (owner, f"/quotes/pdf_bundle/{bundle.id}/download"),  # not through another kind
    ):
        refused = client.get(url + "?_l_=en", follow_redirects=True)
        assert refused.mimetype == "text/html", url
        assert "No such zip of PDFs." in refused.get_data(as_text=True), url
    anonymous = app.test_client()
    assert anonymous.get(f"/invoices/pdf_bundle/{bundle.id}/download").status_code == 302


def test_download_all_pdfs_of_the_filtered_list(
    app, db_session, invoices, sample, users, small_chunks, redis_conn, run_jobs
):
    quote = issuing.new_document(
        "quote", sample["sakura"], user=users["accounting"], lines=[line()]
    )
    client = _client(app, "accounting")
    response = _post(client, "/invoices/pdf_bundle", {})
    assert response.status_code == 302
    bundle = db_session.query(PdfBundle).one()
    assert bundle.total == 7 and bundle.kind == "invoice"  # the quote is not in the list
    run_jobs()
    download = client.get(f"/invoices/pdf_bundle/{bundle.id}/download")
    names = zipfile.ZipFile(io.BytesIO(download.data)).namelist()
    assert len(names) == 7 and f"{quote.number}.pdf" not in names
    html = client.get("/invoices/list/?_l_=en").get_data(as_text=True)
    assert "Download all PDFs of this list (zip)" in html


def test_chunks_ending_together_queue_one_assembly_and_one_zip(
    app, db_session, invoices, users, small_chunks, redis_conn
):
    """N chunk jobs end at the same moment: the assembly is queued once; N assembly jobs
    released together make one zip."""
    from app.jobs.documents import pdf_bundle_assemble, pdf_bundle_chunk
    from app.jobs.queue import set_worker_app
    from app.services.documents.pdf_bundles import start_bundle

    app.config["PDF_BUNDLE_CHUNK"] = 1
    accountant = users["accounting"].id
    bundle = start_bundle("invoice", [d.id for d in invoices[:4]], users["accounting"])
    bundle_id = bundle.id
    redis_conn.flushdb()  # the chunk jobs run below, in threads, released together
    set_worker_app(app)
    barrier = threading.Barrier(4)
    errors = []

    def chunk(n):
        try:
            barrier.wait(10)
            pdf_bundle_chunk(bundle_id, n, as_user=accountant)
        except Exception as exc:  # pragma: no cover - shown by the assert below
            errors.append(exc)

    threads = [threading.Thread(target=chunk, args=(n,)) for n in range(4)]
    _run_detached(threads)
    assert not errors, errors
    queued = Queue("default", connection=redis_conn).jobs
    assert [j.func_name.rsplit(".", 1)[1] for j in queued] == ["pdf_bundle_assemble"]

    results = []
    barrier = threading.Barrier(5)

    def assemble():
        barrier.wait(10)
        results.append(pdf_bundle_assemble(bundle_id, as_user=accountant))

    _run_detached([threading.Thread(target=assemble) for _ in range(5)])
    assert sorted(r > 0 for r in results) == [False] * 4 + [True]
    db_session.expire_all()
    done = db_session.get(PdfBundle, bundle_id)
    assert (done.state, done.done, done.chunks_done) == ("done", 4, 4)
    assert len(zipfile.ZipFile(io.BytesIO(done.content)).namelist()) == 4


def _run_detached(threads):
    """Start the threads (no app context of their own, as in a worker); wait for them."""
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    db.session.remove()
