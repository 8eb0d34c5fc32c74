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
@with_appcontext
def worker_command(burst: bool, name: str | None) -> None:
    """Run an RQ worker for the connector's queue. Start as many as you need."""
    from connector_app.extensions import rq
    from connector_app.worker import AppWorker

    app = current_app._get_current_object()
    worker = AppWorker([rq.queue], connection=rq.connection, app=app, name=name)
    worker.work(burst=burst, with_scheduler=True)


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
