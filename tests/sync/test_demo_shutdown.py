"""The demo server (run.py) stops promptly on SIGTERM while a slow download is open —
also as PID 1, as in a container, where a process without a SIGTERM handler never
receives the signal."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
STARTUP = 180  # seconds: migrations and demo data on a fresh SQLite file
PROMPT = 5.0  # seconds allowed between SIGTERM and the process's end


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _env(tmp_path: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RENKEI_", "DATABASE_"))}
    for name in ("SECRET_KEY", "REDIS_URL", "WERKZEUG_RUN_MAIN", "WERKZEUG_SERVER_FD"):
        env.pop(name, None)
    env.update(RENKEI_ENV="demo", RENKEI_INSTANCE_DIR=str(tmp_path), PORT=str(port))
    return env


def _pid1_supported() -> bool:
    unshare = shutil.which("unshare")
    if not unshare:
        return False
    probe = subprocess.run(
        [unshare, "-Upf", "--map-root-user", "true"], capture_output=True, timeout=10
    )
    return probe.returncode == 0


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _download(root: str) -> None:
    """Open the slow download; the server going away ends it."""
    try:
        requests.get(f"{root}/sandbox/moneyforward/api/v3/billings", timeout=90)
    except requests.RequestException:
        pass


@pytest.mark.parametrize("as_pid1", [False, True], ids=["process", "pid1"])
def test_sigterm_stops_the_demo_during_a_slow_download(tmp_path, as_pid1):
    if as_pid1 and not _pid1_supported():
        pytest.skip("unshare cannot make a PID namespace here")
    port = _free_port()
    command = [sys.executable, "run.py"]
    if as_pid1:
        command = [shutil.which("unshare"), "-Upf", "--map-root-user", *command]
    log = (tmp_path / "out.log").open("w")
    process = subprocess.Popen(command, cwd=ROOT, env=_env(tmp_path, port), stdout=log, stderr=log)
    try:
        root = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + STARTUP
        while True:
            assert process.poll() is None, (tmp_path / "out.log").read_text()[-2000:]
            try:
                if requests.get(f"{root}/login/", timeout=5).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, "the demo did not start"
            time.sleep(0.5)
        server = _children(process.pid)[0] if as_pid1 else process.pid
        # A download the server answers only after a minute.
        requests.post(
            f"{root}/sandbox/moneyforward/_sandbox/faults",
            json={"kind": "slow", "delay": 60, "path": "/api/v3/billings"},
            timeout=10,
        ).raise_for_status()
        threading.Thread(target=_download, args=(root,), daemon=True).start()
        time.sleep(1.0)
        sent = time.monotonic()
        os.kill(server, signal.SIGTERM)
        while _alive(server) and time.monotonic() - sent < 20:
            time.sleep(0.1)
        took = time.monotonic() - sent
        assert not _alive(server), "the demo did not stop within 20 s of SIGTERM"
        assert took < PROMPT, f"stopping took {took:.1f} s"
        if not as_pid1:
            assert process.wait(5) == 0  # a clean stop, not a death by signal
        assert "Renkei stopped." in (tmp_path / "out.log").read_text()
    finally:
        if process.poll() is None:
            for pid in _children(process.pid):
                os.kill(pid, signal.SIGKILL)
            process.kill()
        process.wait(10)
        log.close()
