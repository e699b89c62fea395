"""The README's production recipe, run as written: the Procfile's release step, gunicorn
with 2 workers, two ``worker.py`` processes and the one scheduler, as real processes
against a fresh PostgreSQL database and this run's Redis db, the providers being the
sandboxes on their own loopback port (as a real provider would be: one process, its own
state). The deal → invoice → paid → refresh loop goes through HTTP only (login form,
REST API, the deal page's buttons); the assertions read the sandbox's request log, the
deal's billing status (its CSV) and the processes' logs.

The commands are the Procfile's (the README's recipe and the systemd units run the
same ones; the first test checks that they agree).
"""

from __future__ import annotations

import csv
import io
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest
import redis
import requests
from werkzeug.serving import make_server

from tests.conftest import (
    REDIS_URL,
    TEST_ENCRYPTION_KEY,
    TEST_SECRET,
    drop_database,
    make_database,
)

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    """A loopback port nobody holds now, so two test runs on one machine never collide."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


WEB_PORT = int(os.environ.get("RENKEI_RECIPE_WEB_PORT") or _free_port())
SANDBOX_PORT = int(os.environ.get("RENKEI_RECIPE_SANDBOX_PORT") or _free_port())
WEB = f"http://127.0.0.1:{WEB_PORT}"
SANDBOX = f"http://127.0.0.1:{SANDBOX_PORT}"
WAIT = 90  # seconds for any one step (two CPU cores shared by many runs)
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def procfile() -> dict[str, str]:
    """The Procfile's process types and their commands."""
    lines = (ROOT / "Procfile").read_text().splitlines()
    pairs = (line.split(":", 1) for line in lines if line.strip() and not line.startswith("#"))
    return {name.strip(): command.strip() for name, command in pairs}


def test_readme_and_systemd_units_run_the_procfile_commands():
    commands = procfile()
    assert set(commands) == {"release", "web", "worker", "scheduler"}
    readme = (ROOT / "README.md").read_text()
    recipe = readme.split("## Running in production", 1)[1].split("\n## ", 1)[0]
    for name, command in commands.items():
        assert command in recipe, (name, command)
    units = ROOT / "deploy" / "systemd"
    for unit, name in (
        ("renkei-web.service", "web"),
        ("renkei-worker@.service", "worker"),
        ("renkei-scheduler.service", "scheduler"),
    ):
        text = (units / unit).read_text()
        (exec_start,) = re.findall(r"^ExecStart=(.*)$", text, re.M)
        program, _, rest = exec_start.partition(" ")
        assert program == f"/opt/renkei/.venv/bin/{commands[name].split(' ', 1)[0]}", unit
        assert rest == commands[name].split(" ", 1)[1], unit
    assert commands["release"] in (units / "renkei-web.service").read_text()


class Stack:
    """The processes of the recipe, their logs, and the way to stop them."""

    def __init__(self, env: dict[str, str], logs: Path):
        self.env = env
        self.logs = logs
        self.procs: dict[str, subprocess.Popen] = {}
        self.files: list = []

    def run(self, name: str, command: str) -> None:
        """Run a one-off command (the release step) to its end."""
        done = subprocess.run(
            ["bash", "-c", command],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        (self.logs / f"{name}.log").write_text(done.stdout + done.stderr)
        assert done.returncode == 0, (command, done.stdout[-2000:], done.stderr[-4000:])

    def start(self, name: str, command: str) -> None:
        """Start a long-running process of the Procfile (its own process group)."""
        log = open(self.logs / f"{name}.log", "w")
        self.files.append(log)
        self.procs[name] = subprocess.Popen(
            ["bash", "-c", f"exec {command}"],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")

    def alive(self) -> dict[str, bool]:
        return {name: proc.poll() is None for name, proc in self.procs.items()}

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        for proc in self.procs.values():
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
        for log in self.files:
            log.close()


def _wait(what: str, check, timeout: float = WAIT, stack: Stack | None = None):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = check()
        except requests.RequestException as exc:
            last = exc
        else:
            if last:
                return last
        if stack is not None and not all(stack.alive().values()):
            pytest.fail(f"a process died while waiting for {what}: {stack.alive()}")
        time.sleep(0.5)
    pytest.fail(f"timed out waiting for {what} (last: {last!r})")


@pytest.fixture(scope="module")
def sandbox():
    """The provider sandboxes as one process of their own on a loopback port."""
    from app.sandbox import create_sandbox_app

    server = make_server("127.0.0.1", SANDBOX_PORT, create_sandbox_app(validate=True), True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield SANDBOX
    server.shutdown()
    thread.join(5)


@pytest.fixture(scope="module")
def stack(sandbox, tmp_path_factory):
    database_url = make_database()
    queue = redis.Redis.from_url(REDIS_URL)
    queue.flushdb()
    logs = tmp_path_factory.mktemp("recipe-logs")
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "HOME": os.environ.get("HOME", "/tmp"),
        "LANG": "C.UTF-8",
        "PYTHONUNBUFFERED": "1",  # log lines reach the files as they are written
        "RENKEI_ENV": "production",
        "SECRET_KEY": TEST_SECRET,
        "RENKEI_ENCRYPTION_KEY": TEST_ENCRYPTION_KEY,
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "RATELIMIT_STORAGE_URI": REDIS_URL,
        "RENKEI_INSTANCE_DIR": str(logs / "instance"),
        "RENKEI_BIND": f"127.0.0.1:{WEB_PORT}",
        "WEB_CONCURRENCY": "2",
        # Plain http on loopback: the sandboxes stand in for the providers' https.
        "SESSION_COOKIE_SECURE": "0",
        "OAUTHLIB_INSECURE_TRANSPORT": "1",
        "RENKEI_ALLOW_PRIVATE_PROVIDER_URLS": "1",
        "RENKEI_SANDBOX_VALIDATE": "1",
    }
    processes = Stack(env, logs)
    commands = procfile()
    try:
        processes.run("release", commands["release"])
        processes.run(
            "create-admin",
            "flask --app 'app:create_app' fab create-admin --username admin "
            "--firstname Ada --lastname Admin --email admin@example.com --password admin-pass-1",
        )
        processes.start("web", commands["web"])
        processes.start("worker-1", commands["worker"])
        processes.start("worker-2", commands["worker"])
        processes.start("scheduler", commands["scheduler"])
        _wait("/ready", lambda: requests.get(f"{WEB}/ready", timeout=5).ok, stack=processes)
        yield processes
    finally:
        processes.stop()
        queue.flushdb()
        drop_database(database_url)
        for name in ("web", "worker-1", "worker-2", "scheduler"):
            path = logs / f"{name}.log"
            if path.exists():  # shown by pytest when a test failed
                print(f"----- {name} -----\n{path.read_text(errors='replace')[-3000:]}")


def _csrf(session: requests.Session, url: str) -> str:
    html = session.get(f"{WEB}{url}", timeout=30).text
    match = CSRF_RE.search(html) or re.search(r'id="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def _post(session, url: str, data: dict, form: str = "/resetmypassword/form"):
    data = {"csrf_token": _csrf(session, form), **data}
    return session.post(f"{WEB}{url}", data=data, allow_redirects=False, timeout=60)


def _gunicorn_workers(master_pid: int) -> list[int]:
    out = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(master_pid)], capture_output=True, text=True
    )
    return [int(p) for p in out.stdout.split()]


def _sandbox_invoices() -> list[dict]:
    docs = requests.get(f"{SANDBOX}/sandbox/moneyforward/_sandbox/documents", timeout=10)
    return [d for d in docs.json()["documents"] if d["kind"].startswith(("請求書", "invoice"))]


def _invoice_posts() -> list[dict]:
    log = requests.get(f"{SANDBOX}/sandbox/moneyforward/_sandbox/requests", timeout=10).json()
    return [
        r
        for r in log["requests"]
        if r["method"] == "POST" and "/invoice_template_billings" in r["path"]
    ]


# The deal CSV says the billing status in words (English here): back to its code.
BILLING_WORDS = {
    "Not billed": "none",
    "Waiting for approval": "awaiting_approval",
    "Sending…": "pending",
    "Sent": "sent",
    "Unpaid": "unpaid",
    "Partially paid": "partially_paid",
    "Paid": "paid",
    "Overdue": "overdue",
    "Failed": "failed",
}


def _billing_status(session, title: str) -> str | None:
    response = session.get(f"{WEB}/dealview/csv?_l_=en", timeout=60)
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    (row,) = [r for r in rows if title in r.values()]
    status = [v for k, v in row.items() if "billing" in k.lower() or "請求" in k]
    return BILLING_WORDS.get(status[0], status[0]) if status else None


def test_the_recipe_runs_the_deal_invoice_paid_refresh_loop(stack):
    from app.providers.catalog import sandbox_urls

    # --- the processes: gunicorn with 2 workers, 2 RQ workers, 1 scheduler, all alive
    assert all(stack.alive().values()), stack.alive()
    assert len(_gunicorn_workers(stack.procs["web"].pid)) == 2
    assert requests.get(f"{WEB}/health", timeout=5).json() == {"status": "ok"}
    ready = requests.get(f"{WEB}/ready", timeout=5).json()
    assert ready["checks"] == {"database": "ok", "migrations": "ok", "redis": "ok"}
    queue = redis.Redis.from_url(REDIS_URL)
    workers = _wait("two RQ workers", lambda: len(queue.smembers("rq:workers")) == 2 or None)
    assert workers
    from rq.cron import CronScheduler

    assert len(CronScheduler.all(queue)) == 1  # the one scheduler registered itself

    # --- sign in (the login form) and take an API token
    web = requests.Session()
    login = _post(web, "/login/", {"username": "admin", "password": "admin-pass-1"}, "/login/")
    assert login.status_code == 302, login.text[:500]
    token = requests.post(
        f"{WEB}/api/v1/security/login",
        json={"username": "admin", "password": "admin-pass-1", "provider": "db", "refresh": True},
        timeout=30,
    ).json()["access_token"]
    api = {"Authorization": f"Bearer {token}"}

    # --- the issuing entity (screen), a company, deal type and a won deal (REST API)
    entity = _post(
        web,
        "/legalentities/add",
        {
            "name": "株式会社レンケイ",
            "registration_number": "T5835678256246",
            "address": "東京都千代田区丸の内1-1-1",
            "base_currency": "JPY",
            "tax_rounding": "down",
            "brand_colour": "#1f4e79",
        },
        "/legalentities/add",
    )
    assert entity.status_code == 302, entity.text[-1500:]
    company = requests.post(
        f"{WEB}/api/v1/company/",
        json={"code": "RECIPE-1", "name": "レシピ商事株式会社"},
        headers=api,
        timeout=30,
    )
    assert company.status_code == 201, company.text
    deal_type = requests.post(
        f"{WEB}/api/v1/deal_type/", json={"code": "svc", "name": "Service"}, headers=api, timeout=30
    )
    assert deal_type.status_code == 201, deal_type.text
    title = "本番構成テスト 保守 2026"
    deal = requests.post(
        f"{WEB}/api/v1/deal/",
        json={
            "title": title,
            "company": company.json()["id"],
            "deal_type": deal_type.json()["id"],
            "stage": "won",
            "probability": 100,
            "currency": "JPY",
            "amount": "120000",
        },
        headers=api,
        timeout=30,
    )
    assert deal.status_code == 201, deal.text
    deal_id = deal.json()["id"]

    # --- a Money Forward connection (screen), connected through the OAuth2 dance
    api_url, authorize, token_url = sandbox_urls("moneyforward", SANDBOX)
    added = _post(
        web,
        "/connections/add",
        {
            "provider": "moneyforward",
            "name": "MF (recipe)",
            "client_id": "renkei-demo",
            "client_secret": "renkei-demo-secret",
            "scopes": "",
            "base_currency": "JPY",
            "api_base_url": api_url,
            "authorize_url": authorize,
            "token_url": token_url,
        },
        "/connections/add",
    )
    assert added.status_code == 302, added.text[-1500:]
    listing = web.get(f"{WEB}/connections/list/", timeout=30).text
    connection_id = int(re.search(r"/connections/show/(\d+)", listing).group(1))
    consent = _post(web, f"/connections/connect/{connection_id}", {})
    assert consent.status_code == 302 and consent.headers["Location"].startswith(SANDBOX)
    back = requests.get(consent.headers["Location"] + "&auto=allow", allow_redirects=False)
    callback = urlparse(back.headers["Location"])
    assert f"{callback.scheme}://{callback.netloc}" == WEB
    connected = web.get(back.headers["Location"], allow_redirects=False, timeout=60)
    assert connected.status_code == 302

    # --- "Create invoice" on the deal's tab: one worker issues it at the provider
    created = _post(web, f"/dealview/create_invoice/{deal_id}/{connection_id}", {})
    assert created.status_code == 302, created.text[-1500:]
    invoices = _wait("the invoice at the provider", lambda: _sandbox_invoices(), stack=stack)
    assert len(invoices) == 1
    _wait(
        "the invoice's link",
        lambda: _billing_status(web, title) not in (None, "none", "pending"),
        stack=stack,
    )
    assert _billing_status(web, title) in ("unpaid", "sent")
    assert len(_invoice_posts()) == 1  # reached the provider once

    # --- paid at the provider; "Refresh status" on the deal page brings it back
    pay = requests.post(
        f"{SANDBOX}/sandbox/moneyforward/_sandbox/documents/{invoices[0]['id']}/payments",
        json={},
        timeout=10,
    )
    assert pay.status_code == 200, pay.text
    refreshed = _post(web, f"/dealview/refresh/{deal_id}", {})
    assert refreshed.status_code == 302, refreshed.text[-1500:]
    _wait("the paid status", lambda: _billing_status(web, title) == "paid", stack=stack)
    answer = requests.get(f"{WEB}/api/v1/deal/{deal_id}/documents", headers=api, timeout=30)
    assert answer.status_code == 200, (answer.status_code, answer.text[-2000:])
    documents = answer.json()["result"]
    (invoice,) = [d for d in documents if d["kind"] == "invoice"]
    assert invoice["state"] == "paid"
    assert float(invoice["balance"]) == 0
    assert len(_invoice_posts()) == 1  # the refresh never issued it again

    # --- the workers said what ran, for whom, how long; the scheduler what it queued
    def worker_logs():
        return stack.log("worker-1") + stack.log("worker-2")

    _wait(
        "the refresh job's last log line",
        lambda: "job.end job=refresh_statuses_job" in worker_logs(),
        stack=stack,
    )
    worker_logs = worker_logs()
    for job in ("create_invoice_job", "refresh_statuses_job"):
        ends = re.findall(rf"job\.end job={job} .*", worker_logs)
        assert len(ends) == 1, (job, ends)
        assert "user=" in ends[0] and "outcome=ok" in ends[0]
        assert f"connection_id={connection_id}" in ends[0] or job == "refresh_statuses_job"
        assert re.search(r"duration_ms=\d+", ends[0])
    assert "schedule.enqueue name=startup-watchdog" in stack.log("scheduler")
    assert re.search(r"job\.end job=end_stale_runs_job .*outcome=ok", worker_logs)
    assert "job.end" in stack.log("worker-1") or "job.end" in stack.log("worker-2")
    assert all(stack.alive().values()), stack.alive()
    gunicorn_log = stack.log("web")
    assert "Booting worker" in gunicorn_log and "Traceback" not in gunicorn_log


def test_a_second_scheduler_refuses_to_start(stack):
    second = subprocess.run(
        ["bash", "-c", procfile()["scheduler"]],
        cwd=ROOT,
        env=stack.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert second.returncode == 3, second.stderr[-2000:]
    assert "already running" in second.stderr
    assert stack.alive()["scheduler"]
