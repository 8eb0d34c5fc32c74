"""The RQ worker runs jobs in its own process (no fork per job) and still heartbeats like RQ's forking
worker: a job's execution stays registered while it runs and is gone once it ends."""

from __future__ import annotations

import os
import threading
import time

from connector_app.extensions import rq
from connector_app.worker import AppWorker
from tests.core import worker_jobs


def _worker(app, interval: int = 30) -> AppWorker:
    return AppWorker([rq.queue], connection=rq.connection, app=app, job_monitoring_interval=interval)


def test_jobs_run_in_the_worker_process_inside_an_app_context(app_ctx):
    job = rq.enqueue(worker_jobs.where_am_i)
    assert _worker(app_ctx).work(burst=True)
    job.refresh()
    assert job.return_value() == {"pid": os.getpid(), "app": app_ctx.import_name}


def test_a_failing_job_is_recorded_failed_and_the_worker_goes_on(app_ctx):
    failing = rq.enqueue(worker_jobs.fail)
    after = rq.enqueue(worker_jobs.where_am_i)
    _worker(app_ctx).work(burst=True)
    failing.refresh()
    after.refresh()
    assert failing.is_failed and "fails on purpose" in failing.latest_result().exc_string
    assert after.is_finished


def test_heartbeats_keep_a_long_job_registered_with_a_short_ttl_and_stop_with_it(app_ctx):
    worker = _worker(app_ctx, interval=1)
    job = rq.enqueue(worker_jobs.take_a_while, 3.2, job_timeout=3600)
    seen: list[tuple[bytes | None, int, list[str]]] = []
    running = threading.Event()
    redis, registry = rq.connection, rq.queue.started_job_registry

    def watch() -> None:
        while not running.is_set():
            seen.append(
                (redis.hget(worker.key, "last_heartbeat"), redis.ttl(worker.key), registry.get_job_ids())
            )
            time.sleep(0.2)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        worker.work(burst=True)
    finally:
        running.set()
        watcher.join()

    during = [entry for entry in seen if job.id in entry[2]]
    assert len(during) >= 10, seen
    # The worker's key expires within a minute and a half (not "job timeout + 60 s") and is renewed.
    assert all(0 < ttl <= 61 for _, ttl, _ in during), during
    assert len({beat for beat, _, _ in during}) >= 3, during
    time.sleep(1.5)  # a late heartbeat would re-register the finished execution now
    job.refresh()
    assert job.is_finished and job.return_value() == "done"
    assert rq.queue.started_job_registry.get_job_ids() == []
