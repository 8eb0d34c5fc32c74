"""``make run`` / ``make dev``: the whole product in one terminal, stopped by one Ctrl-C.

The processes are the ``Procfile``'s (web, worker, cron, sandbox), run by honcho: every line is
prefixed with its process name, and when one process exits the others are stopped. Before they
start, this launcher

- starts an embedded Redis (unless ``REDIS_URL`` is set) as its own child and hands its socket to
  every process as ``REDIS_URL``; it stops after them;
- points the app at the sandbox marketplace on ``SANDBOX_PORT`` and the sandbox's redirects and
  webhooks at the app on ``PORT`` (unless those URLs are set);
- gives the processes one empty ``PROMETHEUS_MULTIPROC_DIR`` (unless set), so ``/metrics`` adds up
  every web and worker process.

Nothing outlives the launcher: each process is started with ``PR_SET_PDEATHSIG`` (Linux), so even a
launcher killed with SIGKILL takes its children with it. ``--dev`` serves the web app with
``flask run --debug`` (reloads on code and template changes) instead of gunicorn.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
from pathlib import Path

from honcho.environ import parse_procfile
from honcho.manager import Manager
from honcho.process import Popen as HonchoPopen
from honcho.process import Process as HonchoProcess

from connector_app.config import BASE_DIR, Config, sandbox_marketplace_urls
from connector_app.embedded import private_instance
from connector_app.processes import RedisServer, die_with_parent

BIN = Path(sys.executable).parent
PROCFILE = BASE_DIR / "Procfile"


class _Popen(HonchoPopen):
    def __init__(self, cmd: str, **kwargs) -> None:
        super().__init__(cmd, preexec_fn=die_with_parent, **kwargs)


class _Process(HonchoProcess):
    """honcho runs each process from a forked helper that ignores SIGTERM: the helper dies (SIGKILL)
    with the launcher, and the process (SIGTERM) with the helper."""

    def run(self, events=None, ignore_signals: bool = False) -> None:
        die_with_parent(signal.SIGKILL)
        self._child_ctor = _Popen
        super().run(events, ignore_signals)


def processes(dev: bool = False, sandbox: bool = True) -> dict[str, str]:
    """The Procfile's commands (``exec``-ed by the shell, so signals reach the process itself)."""
    commands = dict(parse_procfile(PROCFILE.read_text()).processes)
    if not sandbox:
        commands.pop("sandbox", None)
    if dev:
        commands["web"] = "flask --app wsgi run --debug --host 127.0.0.1 --port ${PORT:-5000}"
    return {name: f"exec {command}" for name, command in commands.items()}


def environment(port: str, sandbox_port: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONUNBUFFERED"] = "1"
    env["PORT"], env["SANDBOX_PORT"] = port, sandbox_port
    app, sandbox = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{sandbox_port}"
    defaults = {
        **sandbox_marketplace_urls(sandbox),
        "SANDBOX_TIKTOK_REDIRECT_URL": f"{app}/connect/tiktok/callback",
        "SANDBOX_WEBHOOK_URL": f"{app}/webhooks/tiktok",
    }
    for name, value in defaults.items():
        if not env.get(name):
            env[name] = value
    return env


def start_mail_sink():
    """With no MAIL_SERVER configured: a local SMTP sink on MAIL_PORT, shown at /dev/mail (or None)."""
    if Config.MAIL_SERVER != "127.0.0.1" or os.environ.get("MAIL_SERVER") or not Config.MAIL_DEV_SINK:
        return None
    from connector_app.devmail import start_sink

    sink = start_sink(Config.INSTANCE_PATH, Config.MAIL_PORT)
    port = os.environ.get("PORT") or "5000"
    print(
        f"    mail | SMTP sink on 127.0.0.1:{Config.MAIL_PORT}; messages at http://127.0.0.1:{port}/dev/mail"
    )
    return sink


def _metrics_dir(env: dict[str, str], instance: Path) -> None:
    if env.get("PROMETHEUS_MULTIPROC_DIR"):
        return
    directory = instance / "prometheus"
    shutil.rmtree(directory, ignore_errors=True)  # counters of an earlier run are not this run's
    directory.mkdir(parents=True)
    env["PROMETHEUS_MULTIPROC_DIR"] = str(directory)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dev", action="store_true", help="web app with auto-reload (flask run --debug)")
    args = parser.parse_args(argv)
    env = environment(os.environ.get("PORT") or "5000", os.environ.get("SANDBOX_PORT") or "5001")
    instance = Path(env.get("INSTANCE_PATH") or Config.INSTANCE_PATH)
    private_instance(str(instance))  # owner-only before Redis and SQLite create their files
    _metrics_dir(env, instance)

    redis = None
    if not env.get("REDIS_URL"):
        redis = RedisServer(instance).start()
        env["REDIS_URL"] = redis.url
        print(f"   redis | embedded Redis on {redis.socket}", flush=True)

    mail_sink = start_mail_sink()
    manager = Manager()
    manager._process_ctor = _Process  # honcho's documented Manager has no hook for the child's preexec
    sandbox = env.get("SANDBOX_ENABLED", "1") != "0"
    for name, command in processes(dev=args.dev, sandbox=sandbox).items():
        manager.add_process(name, command, env=env, cwd=str(BASE_DIR))
    print(f"     web | open http://127.0.0.1:{env['PORT']}  (Ctrl-C stops everything)", flush=True)
    try:
        manager.loop()
    finally:
        if mail_sink is not None:
            mail_sink.stop()
        if redis is not None:
            redis.stop()
    print("all stopped", flush=True)
    # Stopped by Ctrl-C / SIGTERM (honcho's 130 / 143) is a normal end; a process that died is not.
    return 0 if manager.returncode in (None, 130, 143) else manager.returncode


if __name__ == "__main__":
    sys.exit(main())
