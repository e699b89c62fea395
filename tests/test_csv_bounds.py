"""CSV downloads under hostile use: abandoned streams, unknown sort columns, formulas."""

from __future__ import annotations

import csv
import io
import re
import socket
import threading
import time
from decimal import Decimal

import requests

from app.models.crm import Company
from app.services.documents import issuing
from app.services.documents.lifecycle import today_tokyo
from tests.documents.conftest import entity as entity_fixture
from tests.documents.conftest import line

entity = entity_fixture  # the documents' legal-entity fixture, used here too


def read_csv(response):
    body = response.get_data()
    assert body.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def _http_login(base: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{base}/login/", timeout=10).text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'id="csrf_token"[^>]*value="([^"]+)"', page
    )
    response = session.post(
        f"{base}/login/",
        data={"username": "admin", "password": "admin", "csrf_token": token.group(1)},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 302
    return session


def _raw_get(base: str, path: str, cookie: str) -> socket.socket:
    host, port = base.removeprefix("http://").split(":")
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # a slow reader's window
    sock.settimeout(60)
    sock.connect((host, int(port)))
    sock.sendall(
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nCookie: {cookie}\r\n"
        "Connection: close\r\n\r\n".encode()
    )
    return sock


def _page_answers_at_once(web: requests.Session, url: str) -> None:
    started = time.monotonic()
    assert web.get(url, timeout=10).status_code == 200
    assert time.monotonic() - started < 3, f"{url} took {time.monotonic() - started:.1f} s"


def test_fifty_downloads_half_abandoned_leave_the_console_serving(live_server, db_session):
    # Enough rows (about 2 MB) that a download cannot sit whole in a socket's buffers.
    db_session.add_all(
        Company(code=f"B-{i:05d}", name=f"会社 {i} " + "x" * 180, kana="カ" * 150)
        for i in range(3000)
    )
    db_session.commit()
    base = live_server.url
    web = _http_login(base)
    cookie = "; ".join(f"{c.name}={c.value}" for c in web.cookies)
    outcomes: list[str] = []
    started = threading.Barrier(51)
    checked = threading.Event()

    def download(n: int) -> None:
        sock = _raw_get(base, "/companyview/csv", cookie)
        try:
            first = sock.recv(4096)
            started.wait()
            if n % 2:  # drop half mid-stream: close after the first chunk
                outcomes.append("dropped" if first.startswith(b"HTTP/1.1 200") else "bad")
                return
            checked.wait(60)  # the other half stall, then read to the end
            data = first
            while chunk := sock.recv(65536):
                data += chunk
            outcomes.append("full" if data.count(b"\r\n") > 3000 else "short")
        finally:
            sock.close()

    threads = [threading.Thread(target=download, args=(n,)) for n in range(50)]
    for thread in threads:
        thread.start()
    started.wait(120)
    try:
        # While 25 downloads stall and 25 were dropped, pages and a login answer at once.
        for _ in range(5):
            _page_answers_at_once(web, f"{base}/companyview/list/")
        _http_login(base)
    finally:
        checked.set()
        for thread in threads:
            thread.join(120)
    assert sorted(set(outcomes)) == ["dropped", "full"], outcomes
    for _ in range(10):
        _page_answers_at_once(web, f"{base}/dealview/list/")
    fresh = _http_login(base)
    assert fresh.get(f"{base}/dealview/list/", timeout=10).status_code == 200


def test_csv_sorted_on_an_unknown_column_answers_400(admin_client, sample):
    response = admin_client.get("/companyview/csv?_oc_CompanyView=nosuch&_od_CompanyView=asc")
    assert response.status_code == 400
    assert "nosuch" in response.get_data(as_text=True)
    response = admin_client.get("/dealview/csv?_oc_DealView=amount&_od_DealView=sideways")
    assert response.status_code == 400
    ok = admin_client.get("/dealview/csv?_oc_DealView=amount&_od_DealView=desc")
    assert ok.status_code == 200
    assert [r[1] for r in read_csv(ok)[1:]] == ["会計システム導入", "Annual support"]


FORMULAS = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]


def test_tab_and_cr_starts_are_neutralised_and_numbers_kept():
    from app.views.csv_export import neutralise

    assert neutralise("\tx") == "'\tx" and neutralise("\rx") == "'\rx"
    assert neutralise("-1200") == "-1200" and neutralise("+3.5") == "+3.5"
    assert neutralise("-1+2") == "'-1+2" and neutralise("株式会社") == "株式会社"


def test_company_csv_neutralises_formulas(admin_client, db_session):
    # Names are one line (no tab or CR: services/bounds.py); the rest reach the CSV.
    for i, name in enumerate(FORMULAS[:4]):
        db_session.add(Company(code=f"F-{i}", name=name))
    db_session.commit()
    rows = read_csv(admin_client.get("/companyview/csv"))
    names = {row[1] for row in rows[1:]}
    assert names == {"'" + name for name in FORMULAS[:4]}


def test_invoice_and_audit_csv_neutralise_formulas(admin_client, db_session, sample, entity):
    sample["sakura"].name = "@evil"
    db_session.commit()
    document = issuing.new_document(
        "invoice",
        sample["sakura"],
        recipient_name="=cmd|'/C calc'!A0",
        terms="\t=SUM(A1)",
        lines=[line()],
    )
    rows = read_csv(admin_client.get("/invoices/csv"))
    cells = {cell for row in rows[1:] for cell in row}
    assert "'@evil" in cells and "'=cmd|'/C calc'!A0" in cells
    assert "@evil" not in cells
    trail = read_csv(admin_client.get(f"/audittrail/csv?_flt_0_document_number={document.number}"))
    cells = {cell for row in trail[1:] for cell in row}
    assert "'=cmd|'/C calc'!A0" in cells and "'\t=SUM(A1)" in cells
    assert not any(c.startswith(("=", "\t")) for c in cells)
    year = today_tokyo().year
    for fy in (year - 1, year):
        export = read_csv(admin_client.get(f"/audittrail/export?fy={fy}"))
        assert not any(c.startswith("=") for row in export for c in row)


def test_plain_numbers_are_not_prefixed(admin_client, sample):
    rows = read_csv(admin_client.get("/dealview/csv"))
    assert all(not cell.startswith("'") for row in rows for cell in row)
    assert Decimal("319440") in {Decimal(r[8]) for r in rows[1:] if r[8]}
