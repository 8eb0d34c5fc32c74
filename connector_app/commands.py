"""CLI commands.

- ``flask worker``: an RQ worker for the connector's queue; jobs run inside an app context.
- ``flask cron``: RQ's cron scheduler enqueuing the periodic jobs features registered with
  :func:`register_periodic` (for example the per-shop incremental sync check).
"""

from __future__ import annotations

from collections.abc import Callable

import click
from flask import Flask, current_app
from flask.cli import with_appcontext


def register_periodic(app: Flask, func: Callable, every_seconds: int) -> None:
    """Have ``flask cron`` enqueue ``func()`` every ``every_seconds`` seconds."""
    app.extensions.setdefault("periodic_jobs", []).append((func, every_seconds))


def init_app(app: Flask) -> None:
    app.cli.add_command(worker_command)
    app.cli.add_command(cron_command)


@click.command("worker")
@click.option("--burst", is_flag=True, help="Work until the queue is empty, then exit.")
@click.option("--name", default=None, help="Worker name (default: host.pid).")
@click.option(
    "--check",
    is_flag=True,
    help="Probe instead of working: exit 0 when a worker (the one named --name, if given) is alive "
    "for the queue with a fresh heartbeat, 1 otherwise.",
)
@with_appcontext
def worker_command(burst: bool, name: str | None, check: bool) -> None:
    """Run an RQ worker for the connector's queue. Start as many as you need."""
    from connector_app.extensions import rq
    from connector_app.worker import AppWorker

    if check:
        raise SystemExit(_check_workers(name))

    app = current_app._get_current_object()
    worker = AppWorker([rq.queue], connection=rq.connection, app=app, name=name)
    worker.work(burst=burst, with_scheduler=True)


def _check_workers(name: str | None) -> int:
    from connector_app.extensions import rq

    try:
        workers = rq.workers_report()
    except Exception as exc:  # noqa: BLE001 - Redis down: no worker can be confirmed alive
        click.echo(f"unavailable: cannot read the workers ({type(exc).__name__}: {exc})", err=True)
        return 1
    alive = [w for w in workers if name is None or w["name"] == name]
    for worker in alive:
        age = worker["heartbeat_age_seconds"]
        click.echo(f"ok: {worker['name']} {worker['state']} (heartbeat {age}s ago)")
    if not alive:
        click.echo(f"unavailable: no worker{f' named {name}' if name else ''} is alive", err=True)
        return 1
    return 0


@click.command("cron")
@with_appcontext
def cron_command() -> None:
    """Run RQ's cron scheduler for the connector's periodic jobs (one is enough; more are harmless)."""
    from rq.cron import CronScheduler

    from connector_app.extensions import rq

    scheduler = CronScheduler(connection=rq.connection)
    for func, seconds in current_app.extensions.get("periodic_jobs", []):
        scheduler.register(func, queue_name=rq.queue.name, interval=seconds, job_timeout=300)
    scheduler.start()
