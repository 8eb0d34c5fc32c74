"""The RQ worker: every job runs inside an application context, in the worker's own process.

RQ's default worker forks a work horse per job. For the connector's many short jobs (a webhook
re-fetches one request, a restock writes one listing) the fork cost more than the job: the child
copies the parent's memory page by page as Python touches it, opens a fresh database connection
(a new PostgreSQL backend) and a fresh HTTPS connection every time. Measured by the load benchmark,
work horses used as much CPU as the web app and tripled its p95 latency. So jobs run in the worker's
process like RQ's ``SimpleWorker``, reusing the pooled database and HTTP connections.

What the fork gave and is kept: the parent heartbeats the worker and the job while the horse works,
so a killed worker's job is reported abandoned within a minute and a half. A small thread does that
here. A job's timeout is still enforced (SIGALRM in the worker's main thread); a job that crashes
the interpreter takes the worker down with it, which the process manager restarts.
"""

from __future__ import annotations

import threading
import time

from flask import Flask
from rq import SimpleWorker
from rq.worker.base import BaseWorker, WorkerStatus

from connector_app.extensions import db
from connector_app.observability.metrics import observe_job


class AppWorker(SimpleWorker):
    # The forking worker's short heartbeat TTL (job_monitoring_interval + 60 s), not SimpleWorker's
    # "job timeout + 60 s", which would keep a dead worker looking alive for hours during a sync.
    get_heartbeat_ttl = BaseWorker.get_heartbeat_ttl

    def __init__(self, *args, app: Flask, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.app = app
        self._beating: _JobHeartbeat | None = None

    def execute_job(self, job, queue) -> None:
        execution = self.prepare_execution(job)
        self._beating = _JobHeartbeat(self, job, execution)
        try:
            self.perform_job(job, queue, execution)
        finally:
            self._beating.stop()
            self._beating = None
        self.set_state(WorkerStatus.IDLE)

    def handle_execution_ended(self, job, queue, heartbeat_ttl) -> None:
        # The job is over: no heartbeat may re-register its execution after RQ removes it.
        if self._beating is not None:
            self._beating.stop()
        super().handle_execution_ended(job, queue, heartbeat_ttl)

    def perform_job(self, job, queue, *args, **kwargs) -> bool:  # RQ 3 also passes the execution
        start = time.monotonic()
        ok = False
        with self.app.app_context():
            try:
                ok = super().perform_job(job, queue, *args, **kwargs)
                return ok
            finally:
                db.session.remove()
                observe_job(_job_name(job), ok, time.monotonic() - start)


def _job_name(job) -> str:
    try:
        return job.func_name
    except Exception:  # noqa: BLE001 - a job whose function cannot be read still counts
        return "unknown"


class _JobHeartbeat:
    """Calls ``worker.maintain_heartbeats`` every ``job_monitoring_interval`` while a job runs."""

    def __init__(self, worker: AppWorker, job, execution) -> None:
        self._worker, self._job, self._execution = worker, job, execution
        self._stopped = threading.Event()
        self._lock = threading.Lock()  # a beat is never in flight once stop() returns
        self._thread = threading.Thread(target=self._run, name=f"rq-heartbeat-{job.id}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stopped.wait(self._worker.job_monitoring_interval):
            with self._lock:
                if self._stopped.is_set():
                    return
                try:
                    self._worker.maintain_heartbeats(self._job, self._execution)
                except Exception:  # Redis unreachable for a moment: the next beat tries again
                    self._worker.log.exception(
                        "Worker %s: heartbeat for job %s failed", self._worker.name, self._job.id
                    )

    def stop(self) -> None:
        with self._lock:
            self._stopped.set()
