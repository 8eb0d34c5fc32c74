"""``make run``'s launcher: the whole stack comes up with nothing configured, and nothing outlives it,
whether it is stopped with Ctrl-C or killed outright."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import requests

from devtools.stack import BASE_DIR, free_port, wait_for

pytestmark = pytest.mark.slow


def redis_servers(root: Path) -> list[psutil.Process]:
    """redis-server processes whose socket lives under ``root`` (other runs on this machine don't count)."""
    found = []
    for proc in psutil.process_iter(["name", "cmdline"]):
        try:
            if "redis-server" in (proc.info["name"] or "") and str(root) in " ".join(
                proc.info["cmdline"] or []
            ):
                found.append(proc)
        except psutil.Error:
            continue
    return found


def start_launcher(root: Path) -> tuple[subprocess.Popen, str, Path]:
    port, sandbox_port = free_port(), free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TIKTOK_", "ETSY_", "SANDBOX_", "TEST_"))
        and k not in ("REDIS_URL", "DATABASE_URL", "PROMETHEUS_MULTIPROC_DIR")
    }
    env.update(
        {
            "INSTANCE_PATH": str(root / "instance"),
            "PORT": str(port),
            "SANDBOX_PORT": str(sandbox_port),
            "SANDBOX_DB": str(root / "sandbox.sqlite"),
            "SANDBOX_RETURNS": "20",
            "WEB_CONCURRENCY": "1",
        }
    )
    (root / "instance").mkdir(parents=True, exist_ok=True)
    upgrade = [sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"]
    subprocess.run(upgrade, cwd=BASE_DIR, env=env, check=True, capture_output=True)  # as `make run` does
    log = root / "launcher.log"
    with log.open("wb") as handle:
        launcher = subprocess.Popen(
            [sys.executable, "-m", "connector_app.devstack"],
            cwd=BASE_DIR,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
    return launcher, f"http://127.0.0.1:{port}", log


def wait_until_up(launcher: subprocess.Popen, url: str, log: Path) -> list[psutil.Process]:
    def up() -> bool:
        assert launcher.poll() is None, log.read_text(errors="replace")
        return requests.get(f"{url}/healthz", timeout=5).status_code == 200

    wait_for(up, 60, "the stack's /healthz")
    tree = psutil.Process(launcher.pid).children(recursive=True)
    names = " ".join(" ".join(p.cmdline()) for p in tree)
    for expected in ("gunicorn", "worker", "cron", "sandbox_marketplace", "redis-server"):
        assert expected in names
    return tree


def assert_all_gone(tree: list[psutil.Process], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    alive = tree
    while alive and time.monotonic() < deadline:
        alive = [p for p in alive if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
        time.sleep(0.2)
    assert not alive, [" ".join(p.cmdline()) for p in alive]


def test_ctrl_c_stops_every_process_and_the_embedded_redis(tmp_path):
    assert redis_servers(tmp_path) == []
    launcher, url, log = start_launcher(tmp_path)
    try:
        tree = wait_until_up(launcher, url, log)
        assert len(redis_servers(tmp_path)) == 1  # one embedded Redis, shared by every process
        launcher.send_signal(signal.SIGINT)
        launcher.wait(timeout=30)
        output = log.read_text(errors="replace")
    finally:
        if launcher.poll() is None:
            launcher.kill()
    assert launcher.returncode == 0, output
    assert "all stopped" in output
    for name in ("web", "worker", "cron", "sandbox"):
        assert f"{name} stopped" in output
    assert_all_gone(tree)
    assert redis_servers(tmp_path) == []


def test_a_launcher_killed_outright_takes_its_processes_with_it(tmp_path):
    launcher, url, log = start_launcher(tmp_path)
    try:
        tree = wait_until_up(launcher, url, log)
        launcher.kill()  # SIGKILL: no handler runs, no cleanup of its own
        launcher.wait(timeout=10)
        assert_all_gone(tree)
        assert redis_servers(tmp_path) == []
    finally:
        if launcher.poll() is None:
            launcher.kill()
