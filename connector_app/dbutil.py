"""Small portable SQL helpers (SQLite and PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import Table, bindparam, text
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


# A table whose rows changed by more than this share since PostgreSQL last analyzed it (it doubled, or it was
# never analyzed) has planner statistics too stale to trust; autovacuum catches up only within minutes.
STALE_FRACTION = 1.0
STALE_MINIMUM = 500

_STALE_TABLES = text(
    """
    SELECT s.relname FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
    WHERE s.schemaname = current_schema() AND s.relname IN :names
      AND s.n_mod_since_analyze > GREATEST(:minimum, :fraction * GREATEST(c.reltuples, 0))
    """
).bindparams(bindparam("names", expanding=True))


def analyze_if_stale(tables: list[Table]) -> list[str]:
    """ANALYZE those of ``tables`` whose statistics a bulk load has made stale; returns their names.

    PostgreSQL's advice after loading many rows: until a table is analyzed its planner guesses that
    it is tiny and picks plans (bitmap scans of a whole shop) that get slower with every page a sync
    writes. SQLite keeps no statistics unless asked and plans from the indexes' shape: nothing to do.
    Runs in its own short transaction; the caller must have committed its own work.
    """
    if db.session.get_bind().dialect.name != "postgresql":
        return []
    params = {"names": [t.name for t in tables], "minimum": STALE_MINIMUM, "fraction": STALE_FRACTION}
    stale = list(db.session.scalars(_STALE_TABLES, params))
    if stale:
        preparer = db.session.get_bind().dialect.identifier_preparer
        db.session.execute(text("ANALYZE " + ", ".join(preparer.quote(name) for name in stale)))
    db.session.commit()
    return stale
