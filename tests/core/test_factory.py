"""``create_app`` builds an app and nothing else: no process-wide hooks, configuration read when called."""

from __future__ import annotations

import logging

from sqlalchemy import event
from sqlalchemy.engine import Engine

from connector_app import create_app, embedded
from connector_app.config import TestConfig
from connector_app.extensions import db


def _config(tmp_path, **extra):
    values = {"INSTANCE_PATH": str(tmp_path), "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/f.sqlite"}
    return type("FactoryConfig", (TestConfig,), {**values, **extra})


def test_sqlite_pragmas_are_set_on_the_apps_own_engine_only(tmp_path):
    app = create_app(_config(tmp_path))
    assert not event.contains(Engine, "connect", embedded._sqlite_pragmas)  # not every engine's
    with app.app_context():
        assert event.contains(db.engine, "connect", embedded._sqlite_pragmas)
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_building_an_app_installs_no_root_logging_handler(tmp_path, monkeypatch):
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", [])  # as in a fresh process (pytest has its own handlers here)
    create_app(_config(tmp_path))
    assert root.handlers == []  # logging is the process's business (gunicorn, `flask worker`), not the app's


def test_configuration_is_read_when_the_app_is_created_not_when_imported(tmp_path, monkeypatch):
    monkeypatch.setenv("SANDBOX_PORT", "5999")
    monkeypatch.setenv("WEBHOOK_MAX_AGE_SECONDS", "600")
    app = create_app(_config(tmp_path))
    assert app.config["ETSY_API_URL"] == "http://127.0.0.1:5999"  # set after the config module was imported
    assert app.config["WEBHOOK_MAX_AGE_SECONDS"] == 600
