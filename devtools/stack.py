"""Start the whole product on free loopback ports, as ``make run`` does, for tests and benchmarks.

Usage::

    from devtools.stack import Stack

    with Stack(tmp_path, web_workers=3, rq_workers=2) as stack:
        requests.get(f"{stack.web_url}/healthz")          # 200: database and Redis answer
        stack.status()["workers"]                           # the operator page: queue, workers, syncs
        requests.get(f"{stack.sandbox_url}/_sandbox/counts")
        stack.kill_worker(0, signal.SIGKILL)              # crash a worker (and its work horse)

Processes, each in its own process group and logging to ``<tmp>/logs/<name>.log``: the sandbox
marketplace (own SQLite file, webhooks pointed at the app's ``/webhooks/tiktok``), ``flask db upgrade``
(run first, to completion), ``rq_workers`` × ``flask worker``, one ``flask cron`` and gunicorn serving
``wsgi:app``. Every TIKTOK_*/ETSY_* URL points at the sandbox. Without ``redis_url`` an embedded Redis
is started here as this process's child and handed to the others as ``REDIS_URL`` (like
``connector_app.devstack``); every process dies with the test process (``PR_SET_PDEATHSIG``); without
``database_url`` the app uses SQLite in ``<tmp>/instance``. On failure to start, and when the ``with``
block raises, the last lines of every log are printed.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import requests

from connector_app.config import sandbox_marketplace_urls
from connector_app.processes import RedisServer, die_with_parent

BASE_DIR = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
# Settings of the environment running the tests that must not leak into the stack's processes.
_SCRUBBED = ("DATABASE_URL", "REDIS_URL", "INSTANCE_PATH", "SECRET_KEY", "TOKEN_ENCRYPTION_KEY", "PORT")
_SCRUBBED_PREFIXES = ("TIKTOK_", "ETSY_", "SANDBOX_", "TEST_")


class StackError(RuntimeError):
    """The stack did not come up (the logs have been printed)."""


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(condition: Callable[[], Any], timeout: float, what: str, interval: float = 0.1) -> Any:
    """Poll ``condition`` until it returns something truthy; raise ``TimeoutError`` naming ``what``."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = condition()
        except requests.RequestException:
            result = None
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


class Stack:
    """Context manager running web + workers + cron + sandbox (+ embedded Redis) for one test."""

    def __init__(
        self,
        tmp_path: Path | str,
        *,
        database_url: str | None = None,
        redis_url: str | None = None,
        web_workers: int = 2,
        rq_workers: int = 1,
        sandbox_returns: int = 300,
        sandbox_tick_seconds: float = 0,
        env: dict[str, str] | None = None,
        start_timeout: float = 90,
        migrations_dir: str | None = None,
    ) -> None:
        """``migrations_dir`` (default: ``STACK_MIGRATIONS_DIR`` or the repository's ``migrations/``)
        lets a run try a schema revision that is not committed yet."""
        self.root = Path(tmp_path)
        self.instance_path = self.root / "instance"
        self.log_dir = self.root / "logs"
        self.database_url = database_url
        self.redis_url = redis_url
        self.web_workers = web_workers
        self.rq_workers = rq_workers
        self.start_timeout = start_timeout
        self.migrations_dir = migrations_dir or os.environ.get("STACK_MIGRATIONS_DIR")
        self.web_port = free_port()
        self.sandbox_port = free_port()
        self.web_url = f"http://127.0.0.1:{self.web_port}"
        self.sandbox_url = f"http://127.0.0.1:{self.sandbox_port}"
        self.webhook_url = f"{self.web_url}/webhooks/tiktok"
        self.sandbox: subprocess.Popen | None = None
        self.web: subprocess.Popen | None = None
        self.cron: subprocess.Popen | None = None
        self.workers: list[subprocess.Popen] = []
        self._procs: dict[str, subprocess.Popen] = {}
        self._logs: list[IO[bytes]] = []
        self._embedded_redis: RedisServer | None = None
        self._restarts = 0
        self.env = self._environment(sandbox_returns, sandbox_tick_seconds, env or {})

    # environment ------------------------------------------------------------------------------
    def _environment(self, returns: int, tick_seconds: float, extra: dict[str, str]) -> dict[str, str]:
        env = {
            k: v for k, v in os.environ.items() if k not in _SCRUBBED and not k.startswith(_SCRUBBED_PREFIXES)
        }
        sandbox = self.sandbox_url
        env.update(
            {
                "PYTHONUNBUFFERED": "1",
                "INSTANCE_PATH": str(self.instance_path),
                **sandbox_marketplace_urls(sandbox),
                "SANDBOX_DB": str(self.root / "sandbox" / "sandbox.sqlite"),
                "SANDBOX_PORT": str(self.sandbox_port),
                "SANDBOX_RETURNS": str(returns),
                "SANDBOX_TICK_SECONDS": str(tick_seconds),
                "SANDBOX_WEBHOOK_URL": self.webhook_url,
                "SANDBOX_WEBHOOK_RETRY_SCALE": "0.01",
                "SANDBOX_TIKTOK_REDIRECT_URL": f"{self.web_url}/connect/tiktok/callback",
                "SANDBOX_TIKTOK_US_REDIRECT_URL": f"{self.web_url}/connect/tiktok/us/callback",
            }
        )
        if self.database_url:
            env["DATABASE_URL"] = self.database_url
        if self.redis_url:
            env["REDIS_URL"] = self.redis_url
        env.update(extra)
        return env

    # lifecycle --------------------------------------------------------------------------------
    def __enter__(self) -> Stack:
        try:
            self.start()
        except BaseException:
            self.print_logs()
            self.stop()
            raise
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *_exc: object) -> None:
        if exc_type is not None:
            self.print_logs()
        self.stop()

    def start(self) -> None:
        self.instance_path.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        (self.root / "sandbox").mkdir(parents=True, exist_ok=True)
        if not self.redis_url:
            self._start_embedded_redis()
        flask = [str(BIN / "flask"), "--app", "wsgi"]
        self.sandbox = self._spawn("sandbox", [sys.executable, "-m", "sandbox_marketplace"])
        directory = ["--directory", self.migrations_dir] if self.migrations_dir else []
        upgrade = self._spawn("db-upgrade", [*flask, "db", "upgrade", *directory])
        if upgrade.wait(timeout=self.start_timeout) != 0:
            raise StackError("flask db upgrade failed")
        for i in range(self.rq_workers):
            command = [*flask, "worker", "--name", self._worker_name(i)]
            self.workers.append(self._spawn(f"worker-{i}", command))
        self.cron = self._spawn("cron", [*flask, "cron"])
        self.web = self._spawn("web", self._gunicorn())
        wait_for(self._sandbox_ready, self.start_timeout, "the sandbox marketplace")
        wait_for(self._healthy, self.start_timeout, f"{self.web_url}/healthz to answer 200")
        wait_for(
            self._workers_up, self.start_timeout, f"{self.rq_workers} RQ worker(s) on {self.web_url}/status"
        )

    def stop(self) -> None:
        """Stop every process group (TERM, then KILL after 10 s), then the embedded Redis."""
        for proc in self._procs.values():
            if proc.poll() is None:
                _signal_group(proc, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for proc in self._procs.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(proc, signal.SIGKILL)
                proc.wait(timeout=10)
        for handle in self._logs:
            handle.close()
        self._logs.clear()
        if self._embedded_redis is not None:
            self._embedded_redis.stop()
            self._embedded_redis = None

    # helpers for tests ------------------------------------------------------------------------
    def kill_worker(self, index: int, sig: int = signal.SIGKILL) -> None:
        """Send ``sig`` to RQ worker ``index`` and its work horse (its whole process group)."""
        _signal_group(self.workers[index], sig)

    def restart_worker(self, index: int) -> subprocess.Popen:
        """Start worker ``index`` again (after :meth:`kill_worker`); returns the new process."""
        old = self.workers[index]
        if old.poll() is None:
            _signal_group(old, signal.SIGKILL)
            old.wait(timeout=10)
        self._restarts += 1
        flask = [str(BIN / "flask"), "--app", "wsgi"]
        name = f"worker-{index}.{self._restarts}"
        command = [*flask, "worker", "--name", f"{self._worker_name(index)}.{self._restarts}"]
        self.workers[index] = self._spawn(name, command)
        return self.workers[index]

    def log(self, name: str) -> str:
        """Everything process ``name`` (``web``, ``worker-0``, ``cron``, ``sandbox``…) printed so far."""
        return (self.log_dir / f"{name}.log").read_text(errors="replace")

    def print_logs(self, lines: int = 60) -> None:
        for path in sorted(self.log_dir.glob("*.log")):
            tail = path.read_text(errors="replace").splitlines()[-lines:]
            print(f"----- {path.stem} (last {len(tail)} lines) -----", file=sys.stderr)
            print("\n".join(tail), file=sys.stderr)

    def sandbox_call(self, method: str, path: str, **kwargs: Any) -> Any:
        """Call the sandbox's control API (``/_sandbox<path>``) and return the JSON body."""
        response = requests.request(method, f"{self.sandbox_url}/_sandbox{path}", timeout=60, **kwargs)
        response.raise_for_status()
        return response.json()

    # internals --------------------------------------------------------------------------------
    def _worker_name(self, index: int) -> str:
        return f"stack-{self.web_port}-{index}"

    def _gunicorn(self) -> list[str]:
        return [
            str(BIN / "gunicorn"),
            "--bind",
            f"127.0.0.1:{self.web_port}",
            "--workers",
            str(self.web_workers),
            "--threads",
            "4",
            "--access-logfile",
            "-",
            "--no-control-socket",
            "wsgi:app",
        ]

    def _start_embedded_redis(self) -> None:
        self._embedded_redis = RedisServer(self.instance_path, persist=False).start()
        self.env["REDIS_URL"] = self._embedded_redis.url

    def _spawn(self, name: str, command: list[str]) -> subprocess.Popen:
        handle = open(self.log_dir / f"{name}.log", "wb")  # noqa: SIM115 - closed in stop()
        self._logs.append(handle)
        proc = subprocess.Popen(
            command,
            cwd=BASE_DIR,
            env=self.env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
        self._procs[name] = proc
        return proc

    def _check_alive(self) -> None:
        for name, proc in self._procs.items():
            if name != "db-upgrade" and proc.poll() is not None:
                raise StackError(f"{name} exited with code {proc.returncode} while starting")

    def _sandbox_ready(self) -> bool:
        self._check_alive()
        return requests.get(f"{self.sandbox_url}/_sandbox/counts", timeout=5).status_code == 200

    def _healthy(self) -> bool:
        self._check_alive()
        return requests.get(f"{self.web_url}/healthz", timeout=5).status_code == 200

    def status(self) -> dict:
        """The operator status page as JSON (this process is on loopback, so it is an operator)."""
        response = requests.get(f"{self.web_url}/status", headers={"Accept": "application/json"}, timeout=10)
        response.raise_for_status()
        return response.json()

    def _workers_up(self) -> bool:
        self._check_alive()
        return len(self.status().get("workers", [])) >= self.rq_workers


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)
