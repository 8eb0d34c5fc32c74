"""App factory for worker subprocesses started by the tests (``flask --app tests.sync.worker_app:create``).

The test's settings travel in the CONNECTOR_TEST_CONFIG environment variable (JSON).
"""

from __future__ import annotations

import json
import os

from flask import Flask

from connector_app import create_app
from connector_app.config import TestConfig

SHARED_KEYS = (
    "INSTANCE_PATH",
    "SQLALCHEMY_DATABASE_URI",
    "RQ_QUEUE",
    "REDIS_URL",
    "TIKTOK_API_URL",
    "TIKTOK_AUTH_API_URL",
    "TIKTOK_APP_KEY",
    "TIKTOK_APP_SECRET",
    "TIKTOK_US_APP_KEY",
    "TIKTOK_US_APP_SECRET",
    "MARKETPLACE_BACKOFF_BASE",
    "MARKETPLACE_TIMEOUT",
    "SYNC_STALE_SECONDS",
    "SYNC_OVERLAP_SECONDS",
    "ETSY_API_URL",  # the catalog sync reads Etsy too
    "ETSY_KEYSTRING",
    "ETSY_SHARED_SECRET",
    "ETSY_TOKEN_URL",
)


def environment(app: Flask) -> dict[str, str]:
    """Environment for a subprocess worker sharing this app's database, queue and marketplace."""
    config = {key: app.config[key] for key in SHARED_KEYS if app.config.get(key) is not None}
    return {**os.environ, "CONNECTOR_TEST_CONFIG": json.dumps(config), "LOG_LEVEL": "WARNING"}


def create() -> Flask:
    return create_app(type("WorkerConfig", (TestConfig,), json.loads(os.environ["CONNECTOR_TEST_CONFIG"])))
