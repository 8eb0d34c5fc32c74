"""Small portable SQL helpers (SQLite and PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite

from connector_app.extensions import db


def insert_ignore(table: Table, rows: list[dict], index_elements: list[str]) -> None:
    """INSERT rows, silently skipping those that conflict on ``index_elements``."""
    if not rows:
        return
    dialect = db.session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    statement = module.insert(table).values(rows).on_conflict_do_nothing(index_elements=index_elements)
    db.session.execute(statement)
