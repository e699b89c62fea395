"""Scale benchmark: Renkei's main pages at a real company's size, next to stock FAB.

``python -m tests.bench scale [--deals N] [--companies N] [--documents N] [--audit N]
[--repeat N] [--csv-repeat N] [--port P] [--rebuild] [--out FILE]``

1. Builds (or reuses) the data set of tests/bench/scale_data.py on PostgreSQL.
2. Serves Renkei (``tests.bench.scale_wsgi:renkei()``, the repository's gunicorn.conf.py)
   and the stock Flask-AppBuilder app (tests/bench/stock_fab.py, gunicorn's defaults) under
   gunicorn with 2 workers each, on ``--port`` and ``--port + 1``.
3. Signs in as admin on both and requests every page ``--repeat`` times, Renkei and stock
   interleaved (who goes first alternates), after a warm-up; the CSV of all deals
   ``--csv-repeat`` times.
4. Prints p50, p95, statements per page (the ``X-Bench-Statements`` header), page size
   and the ratio Renkei / stock; writes bench-results/scale.json (and ``--out``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.bench.common import RESULTS
from tests.bench.scale_data import Sizes, app_environment, build
from tests.bench.scale_wsgi import HEADER

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
STOCK_CONF = ROOT / "tests" / "bench" / "stock_gunicorn_conf.py"
TIMEOUT = int(os.environ.get("BENCH_GUNICORN_TIMEOUT", 120))
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def _redis_url() -> str:
    return (
        os.environ.get("RENKEI_BENCH_REDIS_URL")
        or os.environ.get("RENKEI_TEST_REDIS_URL")
        or "redis://127.0.0.1:6379/11"
    )


def _serve(target: str, port: int, env: dict, config: Path | None) -> subprocess.Popen:
    command = [PYTHON, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}"]
    # A worker loading the app on a busy machine can take longer than gunicorn's 30 s.
    command += ["--timeout", str(TIMEOUT)]
    if config is not None:
        command += ["--config", str(config)]
    command += ["--access-logfile", "-", "--log-level", "warning", target]
    log = open(RESULTS / f"scale-{port}.log", "w")  # closed when the process ends
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def _wait(base: str, process: subprocess.Popen, seconds: float = 300) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{base} exited ({process.returncode}); see bench-results logs")
        try:
            if requests.get(base + "/login/", timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{base} did not answer within {seconds} s")


def _login(base: str) -> requests.Session:
    session = requests.Session()
    page = session.get(base + "/login/").text
    token = CSRF_RE.search(page) or re.search(r'id="csrf_token"[^>]*value="([^"]+)"', page)
    response = session.post(
        base + "/login/",
        data={"username": "admin", "password": "admin", "csrf_token": token.group(1)},
        allow_redirects=False,
    )
    assert response.status_code == 302, (base, response.status_code, response.text[:300])
    return session


def _ids(url: str, sql: str, count: int) -> list[int]:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.connect() as conn:
        ids = [row[0] for row in conn.execute(sa.text(sql))]
    engine.dispose()
    step = max(1, len(ids) // count)
    return ids[::step][:count] or ids[:1]


def _get(session: requests.Session, url: str) -> dict:
    started = time.perf_counter()
    response = session.get(url, timeout=300)
    body = response.content
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, (url, response.status_code, body[:300])
    assert b'name="username"' not in body, f"{url}: answered with the login form"
    statements = response.headers.get(HEADER)
    return {
        "ms": elapsed,
        "statements": int(statements) if statements is not None else None,
        "bytes": len(body),
        "body": body,
    }


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(share * len(ordered) + 0.5) - 1))
    return ordered[index]


def _summary(samples: list[dict]) -> dict:
    times = [s["ms"] for s in samples]
    counts = [s["statements"] for s in samples if s["statements"] is not None]
    return {
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(_percentile(times, 0.95), 1),
        "statements": max(counts) if counts else None,
        "kb": round(statistics.median(s["bytes"] for s in samples) / 1024, 1),
    }


def _pages(deal_id: int, invoice_id: int) -> dict[str, tuple[str, str | None]]:
    """page → (Renkei path, stock path or None)."""
    return {
        "deal list": ("/dealview/list/", "/stockdealview/list/"),
        "deal page": (f"/dealview/show/{deal_id}", f"/stockdealview/show/{deal_id}"),
        "invoice list": ("/invoices/list/", "/stockinvoiceview/list/"),
        "invoice page": (f"/invoices/show/{invoice_id}", f"/stockinvoiceview/show/{invoice_id}"),
        "receivables": ("/receivables/", None),
    }


def measure(renkei: str, stock: str, url: str, repeat: int, csv_repeat: int) -> dict:
    ours, theirs = _login(renkei), _login(stock)
    deals = _ids(url, "SELECT id FROM deal ORDER BY id", repeat)
    invoices = _ids(url, "SELECT id FROM document WHERE kind = 'invoice' ORDER BY id", repeat)
    samples: dict[str, dict[str, list]] = {}
    # warm-up: imports, templates and connection pools of both workers of each server
    for n in range(4):
        for ours_path, theirs_path in _pages(deals[n % len(deals)], invoices[0]).values():
            _get(ours, renkei + ours_path)
            if theirs_path:
                _get(theirs, stock + theirs_path)
    for n in range(repeat):
        pages = _pages(deals[n % len(deals)], invoices[n % len(invoices)])
        for name, (ours_path, theirs_path) in pages.items():
            runs = [("renkei", ours, renkei + ours_path)]
            if theirs_path:
                runs.append(("stock", theirs, stock + theirs_path))
            if n % 2:
                runs.reverse()
            for who, session, page_url in runs:
                sample = _get(session, page_url)
                sample.pop("body")
                samples.setdefault(name, {}).setdefault(who, []).append(sample)
        print(f"  round {n + 1}/{repeat}", end="\r", flush=True)
    print()
    results = {name: {who: _summary(s) for who, s in by.items()} for name, by in samples.items()}
    (RESULTS / "scale.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))
    results["CSV of all deals"] = _csv(ours, theirs, renkei, stock, csv_repeat)
    return results


def _csv(ours, theirs, renkei: str, stock: str, repeat: int) -> dict:
    figures: dict[str, list] = {"renkei": [], "stock": []}
    failures: dict[str, str] = {}
    for n in range(repeat):
        runs = [
            ("renkei", ours, renkei + "/dealview/csv"),
            ("stock", theirs, stock + "/stockcsv/deals"),
        ]
        if n % 2:
            runs.reverse()
        for who, session, page_url in runs:
            started = time.perf_counter()
            try:
                sample = _get(session, page_url)
            except (AssertionError, requests.RequestException) as exc:
                # e.g. cut by gunicorn's worker timeout: a figure too, not the end of the run
                seconds = time.perf_counter() - started
                failures.setdefault(who, f"failed after {seconds:.1f} s: {str(exc)[:80]}")
                continue
            rows = sample.pop("body").count(b"\n") - 1
            figures[who].append({**sample, "rows": rows})
    out = {}
    for who, failure in failures.items():
        if not figures[who]:
            out[who] = {"failed": failure, "p50_ms": None, "p95_ms": None, "statements": None}
    for who, samples in figures.items():
        if not samples:
            continue
        summary = _summary(samples)
        rows = samples[0]["rows"]
        summary["rows"] = rows
        summary["rows_per_s"] = round(rows / (summary["p50_ms"] / 1000))
        summary["statements"] = None  # streamed: the header leaves before the rows
        out[who] = summary
    return out


def report(results: dict, sizes: Sizes, label: str) -> str:
    lines = [
        f"Scale benchmark ({label}): {sizes.deals:,} deals over {sizes.companies:,} companies, "
        f"{sizes.documents:,} documents, {sizes.audit:,} audit entries; "
        "gunicorn 2 workers each",
        "",
        f"{'page':<18} {'Renkei p50':>10} {'p95':>8} {'p95/p50':>7} {'stock p50':>10} "
        f"{'p95':>8} {'ratio p50':>9} {'SQL R/S':>9} {'KB R/S':>13}",
    ]
    for name, by in results.items():
        ours, theirs = by["renkei"], by.get("stock")
        if ours.get("failed"):
            lines.append(f"{name:<18} Renkei {ours['failed']}")
            if theirs and theirs.get("p50_ms"):
                lines.append(
                    f"{'':<18} stock plain query export p50 {theirs['p50_ms']:.1f} ms, "
                    f"{theirs['rows_per_s']:,} rows/s ({theirs['rows']:,} rows)"
                )
            continue
        spread = ours["p95_ms"] / ours["p50_ms"] if ours["p50_ms"] else 0
        row = f"{name:<18} {ours['p50_ms']:>8.1f}ms {ours['p95_ms']:>6.1f}ms {spread:>7.2f} "
        if theirs:
            ratio = ours["p50_ms"] / theirs["p50_ms"]
            row += (
                f"{theirs['p50_ms']:>8.1f}ms {theirs['p95_ms']:>6.1f}ms {ratio:>9.2f} "
                f"{_n(ours['statements']):>4}/{_n(theirs['statements']):<4} "
                f"{ours['kb']:>6}/{theirs['kb']:<6}"
            )
        else:
            row += f"{'–':>10} {'–':>8} {'–':>9} {_n(ours['statements']):>4}/–    {ours['kb']:>6}/–"
        lines.append(row)
        if "rows" in ours:
            extra = f"{'':<18} rows {ours['rows']:,}: Renkei {ours['rows_per_s']:,} rows/s"
            if theirs:
                extra += f", stock plain query export {theirs['rows_per_s']:,} rows/s"
            lines.append(extra)
    return "\n".join(lines)


def _n(value) -> str:
    return "–" if value is None else str(value)


def run(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m tests.bench scale")
    defaults = Sizes()
    parser.add_argument("--deals", type=int, default=defaults.deals)
    parser.add_argument("--companies", type=int, default=defaults.companies)
    parser.add_argument("--documents", type=int, default=defaults.documents)
    parser.add_argument("--audit", type=int, default=defaults.audit)
    parser.add_argument("--repeat", type=int, default=30, help="requests per page and app")
    parser.add_argument("--csv-repeat", type=int, default=3)
    parser.add_argument("--port", type=int, default=int(os.environ.get("BENCH_PORT", 9160)))
    parser.add_argument("--rebuild", action="store_true", help="build the data set again")
    parser.add_argument("--label", default="run")
    parser.add_argument("--out", type=Path, help="also write the table to this file")
    args = parser.parse_args(argv)
    sizes = Sizes(args.deals, args.companies, args.documents, args.audit)
    RESULTS.mkdir(exist_ok=True)
    redis_url = _redis_url()
    print(f"data set {sizes.database} …", flush=True)
    url, built = build(sizes, redis_url, rebuild=args.rebuild)
    env = {**os.environ, **app_environment(url, redis_url), "PYTHONPATH": str(ROOT)}
    subprocess.run([PYTHON, "-m", "tests.bench.stock_fab"], cwd=ROOT, env=env, check=True)
    servers = [
        _serve("tests.bench.scale_wsgi:renkei()", args.port, env, None),
        _serve("tests.bench.scale_wsgi:stock()", args.port + 1, env, STOCK_CONF),
    ]
    renkei, stock = (f"http://127.0.0.1:{args.port + i}" for i in range(2))
    try:
        _wait(renkei, servers[0])
        _wait(stock, servers[1])
        results = measure(renkei, stock, url, args.repeat, args.csv_repeat)
    finally:
        for process in servers:
            process.terminate()
        for process in servers:
            try:
                process.wait(40)
            except subprocess.TimeoutExpired:  # a worker still busy with a download
                process.kill()
                process.wait(10)
    text = report(results, sizes, args.label)
    print("\n" + text)
    (RESULTS / "scale.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")
    return results
