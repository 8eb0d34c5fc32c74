"""The RQ worker: every job runs inside an application context with a fresh database pool."""

from __future__ import annotations

from flask import Flask
from rq import Worker

from connector_app.extensions import db


class AppWorker(Worker):
    def __init__(self, *args, app: Flask, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.app = app

    def perform_job(self, job, queue, *args, **kwargs) -> bool:  # RQ 3 also passes the execution
        with self.app.app_context():
            # The job may run in a forked work-horse: never reuse the parent's pooled connections.
            db.engine.dispose(close=False)
            try:
                return super().perform_job(job, queue, *args, **kwargs)
            finally:
                db.session.remove()
