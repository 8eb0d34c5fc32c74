"""Prometheus metrics (prometheus_client) and the small helpers features call to record them.

With ``PROMETHEUS_MULTIPROC_DIR`` set (``make run`` sets it; set it under any process manager that runs
several gunicorn workers or RQ workers), every process writes its samples into that folder and
``/metrics`` adds them up. The folder must exist, be shared by every process of one host and be emptied
when they all start. Without it, the metrics are those of the serving process only.

Queue depth, the oldest job's age and the workers are read from Redis at scrape time.
"""

from __future__ import annotations

import functools
import logging
import os
import time
from collections.abc import Callable
from typing import Any, TypeVar

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, exposition, generate_latest
from prometheus_client.core import GaugeMetricFamily

from connector_app.marketplaces.observe import CallObserved, RateLimitWaited

log = logging.getLogger(__name__)
# Text format 0.0.4: what every Prometheus version scrapes (our metric names need nothing newer).
CONTENT_TYPE = getattr(exposition, "CONTENT_TYPE_PLAIN_0_0_4", exposition.CONTENT_TYPE_LATEST)
F = TypeVar("F", bound=Callable[..., Any])

MARKETPLACE_CALLS = Counter(
    "connector_marketplace_calls_total",
    "HTTP attempts to a marketplace API, by HTTP status ('' = no answer) and error code ('' = success).",
    ["marketplace", "api", "status", "error"],
)
MARKETPLACE_CALL_SECONDS = Histogram(
    "connector_marketplace_call_duration_seconds",
    "Duration of one HTTP attempt to a marketplace API.",
    ["marketplace", "api"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
RATE_LIMIT_WAITS = Histogram(
    "connector_rate_limit_wait_seconds",
    "Sleeps before a marketplace call: our limiter / Etsy's budget ('limiter') or a 429 ('retry-after').",
    ["marketplace", "reason"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5, 30, 120),
)
SYNC_RUNS = Histogram(
    "connector_sync_run_duration_seconds",
    "Sync runs by outcome (succeeded, failed, skipped, taken-over, error) and their duration.",
    ["outcome"],
    buckets=(1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600),
)
ROWS_WRITTEN = Counter(
    "connector_rows_written_total",
    "Return/cancellation rows written by a sync or webhook, by change (created, updated).",
    ["source", "change"],
)
WEBHOOK_LAG = Histogram(
    "connector_webhook_lag_seconds",
    "From TikTok's timestamp on a webhook delivery to the delivery being processed.",
    buckets=(0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600, 21600),
)
JOBS = Histogram(
    "connector_job_duration_seconds",
    "Background jobs run by the workers, by job function and outcome (ok, failed).",
    ["job", "outcome"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120, 600, 3600),
)
JOB_FAILURES = Counter("connector_job_failures_total", "Background jobs that raised.", ["job"])
LOGIN_FAILURES = Counter("connector_login_failures_total", "Failed logins (wrong email or password).")


def observe_marketplace(event: CallObserved | RateLimitWaited) -> None:
    """The observer the app gives every marketplace client (``connector_app.connect.clients``)."""
    if isinstance(event, CallObserved):
        status = "" if event.status is None else str(event.status)
        MARKETPLACE_CALLS.labels(event.marketplace, event.api, status, event.error or "").inc()
        MARKETPLACE_CALL_SECONDS.labels(event.marketplace, event.api).observe(event.seconds)
    else:
        RATE_LIMIT_WAITS.labels(event.marketplace, event.reason).observe(event.seconds)


def observe_sync_run(func: F) -> F:
    """Decorates the sync job: its return value is the outcome label; raising counts as ``error``."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.monotonic()
        outcome = "error"
        try:
            result = func(*args, **kwargs)
            outcome = str(result)
            return result
        finally:
            SYNC_RUNS.labels(outcome).observe(time.monotonic() - start)

    return wrapper  # type: ignore[return-value]


def observe_rows_written(source: str, created: int, updated: int) -> None:
    """Count rows written in the current transaction of ``db.session`` once it commits (a transaction
    rolled back, or retried after a conflict, counts nothing)."""
    from connector_app.extensions import db

    pending = db.session.info.setdefault(_ON_COMMIT, [])
    pending.append((source, created, updated))
    _listen_once(db.session)


_ON_COMMIT = "connector_rows_written"
_listening: set[int] = set()


def _listen_once(scoped) -> None:
    from sqlalchemy import event

    if id(scoped) in _listening:
        return
    _listening.add(id(scoped))

    def committed(session) -> None:
        for source, created, updated in session.info.pop(_ON_COMMIT, ()):
            if created:
                ROWS_WRITTEN.labels(source, "created").inc(created)
            if updated:
                ROWS_WRITTEN.labels(source, "updated").inc(updated)

    def rolled_back(session) -> None:  # any rollback() drops what the transaction would have counted
        session.info.pop(_ON_COMMIT, None)

    event.listen(scoped, "after_commit", committed)
    event.listen(scoped, "after_soft_rollback", lambda session, _previous: rolled_back(session))


def observe_webhook_processed(payload: dict | None) -> None:
    """Call once a delivery's processing is committed; ``payload`` is TikTok's body (``timestamp``)."""
    timestamp = (payload or {}).get("timestamp")
    if isinstance(timestamp, int | float) and not isinstance(timestamp, bool):
        WEBHOOK_LAG.observe(max(0.0, time.time() - timestamp))


def observe_job(job_name: str, ok: bool, seconds: float) -> None:
    JOBS.labels(job_name, "ok" if ok else "failed").observe(seconds)
    if not ok:
        JOB_FAILURES.labels(job_name).inc()


def observe_login_failure() -> None:
    LOGIN_FAILURES.inc()


class _QueueCollector:
    """Read at scrape time: the queue can be filled by any process, so no process could count it."""

    def __init__(self, read: Callable[[], dict]) -> None:
        self._read = read

    def collect(self):
        up = GaugeMetricFamily("connector_queue_up", "1 when the queue's Redis answered this scrape.")
        try:
            state = self._read()
        except Exception as exc:  # noqa: BLE001 - a scrape must answer even while Redis is down
            log.warning("metrics: queue unreadable: %s", exc)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        labels = ["queue"]
        for name, doc, key in (
            ("connector_queue_depth", "Jobs waiting in the queue.", "depth"),
            ("connector_queue_oldest_job_age_seconds", "Age of the job waiting longest.", "oldest"),
            ("connector_queue_failed_jobs", "Jobs in the failed job registry.", "failed"),
            ("connector_workers", "RQ workers registered for the queue.", "workers"),
        ):
            family = GaugeMetricFamily(name, doc, labels=labels)
            family.add_metric([state["queue"]], float(state[key] or 0))
            yield family


def render(read_queue: Callable[[], dict]) -> tuple[bytes, str]:
    """The exposition text: every process's samples (multiprocess mode) or this one's, plus the queue."""
    scrape = CollectorRegistry()
    scrape.register(_QueueCollector(read_queue))
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(scrape)
        return generate_latest(scrape), CONTENT_TYPE
    return generate_latest(REGISTRY) + generate_latest(scrape), CONTENT_TYPE
