"""Every schema change ships as an Alembic revision: upgrading from nothing yields exactly the models."""

from __future__ import annotations

import os

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from connector_app import create_app
from connector_app.config import TestConfig
from connector_app.extensions import db


def _fresh_database_url(tmp_path) -> str:
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        return f"sqlite:///{tmp_path / 'migrated.sqlite'}"
    url = make_url(base.replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"{url.database}_migrations_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def test_upgrade_from_nothing_matches_the_models_and_downgrades(tmp_path):
    config = {"INSTANCE_PATH": str(tmp_path), "SQLALCHEMY_DATABASE_URI": _fresh_database_url(tmp_path)}
    app = create_app(type("Migrated", (TestConfig,), config))
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, db.metadata)
        assert diff == [], f"models and migrations differ: {diff}"
        downgrade(revision="base")
        with db.engine.connect() as conn:
            tables = set(db.inspect(conn).get_table_names()) - {"alembic_version"}
        assert tables == set()
        db.engine.dispose()


def test_upgrading_a_database_with_sellers_keeps_their_rows_and_never_reuses_ids(tmp_path):
    """The login-records revision rebuilds ``sellers`` on SQLite (AUTOINCREMENT): no row of any seller
    may be lost to the cascade of dropping the old table, and freed ids are not handed out again."""
    config = {"INSTANCE_PATH": str(tmp_path), "SQLALCHEMY_DATABASE_URI": _fresh_database_url(tmp_path)}
    app = create_app(type("Migrated", (TestConfig,), config))
    with app.app_context():
        upgrade(revision="9e3b5a1c7d40")
        with db.engine.begin() as conn:
            for n in (1, 2):
                conn.execute(
                    text(
                        "INSERT INTO sellers (id, email, email_key, password_hash, session_token, timezone,"
                        " date_format, created_at) VALUES (:n, :e, :e, 'h', :t, 'UTC', '%Y', '2026-01-01')"
                    ),
                    {"n": n, "e": f"s{n}@example.com", "t": f"token-{n}"},
                )
                conn.execute(
                    text(
                        "INSERT INTO seller_settings (seller_id, restock_on_complete, page_size)"
                        " VALUES (:n, false, 50)"
                    ),
                    {"n": n},
                )
        upgrade()
        with db.engine.begin() as conn:
            assert conn.execute(text("SELECT count(*) FROM seller_settings")).scalar() == 2
            assert conn.execute(text("SELECT count(*) FROM sellers")).scalar() == 2
        if db.engine.dialect.name != "sqlite":  # explicit ids above did not advance the sequence
            db.engine.dispose()
            return
        with db.engine.begin() as conn:
            conn.execute(text("DELETE FROM seller_settings WHERE seller_id = 2"))
            conn.execute(text("DELETE FROM sellers WHERE id = 2"))
            conn.execute(
                text(
                    "INSERT INTO sellers (email, email_key, password_hash, session_token, timezone,"
                    " date_format, created_at) VALUES ('n@x', 'n@x', 'h', 't-3', 'UTC', '%Y', '2026-01-01')"
                )
            )
            new_id = conn.execute(text("SELECT id FROM sellers WHERE email_key = 'n@x'")).scalar()
        assert new_id == 3  # not 2: the freed id stays retired
        db.engine.dispose()
