"""The RQ wrapper: one Redis connection per app (external via REDIS_URL, or the embedded server)
and the queue every feature enqueues on. Jobs take ids, never objects.

The connection opens on first use, so commands that never touch the queue start no Redis.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from flask import Flask, current_app
from redis import Redis
from rq import Queue, Worker

from connector_app.embedded import embedded_redis

_opening = threading.Lock()


class RQ:
    def init_app(self, app: Flask) -> None:
        app.extensions["rq"] = {}

    @staticmethod
    def _state() -> dict:
        state = current_app.extensions["rq"]
        if "connection" in state:
            return state
        # Threads racing on first use would each start their own embedded Redis (and the per-shop
        # token-refresh locks would then not exclude each other): open it once.
        with _opening:
            if "connection" in state:
                return state
            url = current_app.config.get("REDIS_URL")
            connection = Redis.from_url(url) if url else embedded_redis(current_app.config["INSTANCE_PATH"])
            state["queue"] = Queue(
                current_app.config["RQ_QUEUE"],
                connection=connection,
                is_async=current_app.config.get("RQ_ASYNC", True),
            )
            state["connection"] = connection  # last: its presence means "ready"
        return state

    @property
    def connection(self) -> Redis:
        return self._state()["connection"]

    @property
    def queue(self) -> Queue:
        return self._state()["queue"]

    def enqueue(self, func, *args, **kwargs):
        return self.queue.enqueue(func, *args, **kwargs)

    def workers(self) -> list[Worker]:
        return Worker.all(connection=self.connection, queue=self.queue)

    def workers_report(self, now: datetime | None = None) -> list[dict]:
        """The RQ workers registered for the app's queue (a worker's key expires with its heartbeat)."""
        now = now or datetime.now(UTC)
        found = []
        for worker in self.workers():
            found.append(
                {
                    "name": worker.name,
                    "state": str(worker.get_state()),
                    "heartbeat_age_seconds": age_seconds(worker.last_heartbeat, now),
                    "current_job": worker.get_current_job_id(),
                    "successful_jobs": worker.successful_job_count,
                    "failed_jobs": worker.failed_job_count,
                }
            )
        return sorted(found, key=lambda w: w["name"])


def age_seconds(moment: datetime | None, now: datetime) -> float | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return round(max(0.0, (now - moment).total_seconds()), 3)
