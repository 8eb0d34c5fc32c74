"""Small portable SQL helpers (SQLite and PostgreSQL), and retrying a unit of work that lost a race.

A sync job and a webhook job may write the same request at the same moment. On PostgreSQL
``upsert_requests`` locks existing rows (FOR UPDATE), but two transactions can still both INSERT the
same new request: the second fails on the unique key. On SQLite a second writer may find the
database locked, or its read snapshot outdated. In every case the whole unit is rolled back and run
again from the start: it then sees the other writer's rows and updates them instead.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from functools import lru_cache
from typing import TypeVar

from sqlalchemy import Table, bindparam, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, OperationalError

from connector_app.extensions import db


def insert_ignore(table: Table, rows: list[dict], index_elements: list[str]) -> int:
    """INSERT rows, silently skipping those that conflict on ``index_elements``; returns how many went in.

    A concurrent writer of the same key makes this wait for its transaction, then skip: whoever
    inserted first wins, across processes, without an exception."""
    if not rows:
        return 0
    statement = _insert_ignore_statement(db.session.get_bind().dialect.name, table, tuple(index_elements))
    if len(rows) == 1:
        return len(db.session.execute(statement, rows[0]).all())
    return len(db.session.execute(statement, rows).all())


@lru_cache(maxsize=64)
def _insert_ignore_statement(dialect: str, table: Table, index_elements: tuple[str, ...]):
    """Built once per table and key. The rows go as parameters, not in the statement: SQLAlchemy
    batches them into multi-VALUES INSERTs itself ("insertmanyvalues") and compiles the statement
    once, where a ``.values(rows)`` statement was built and compiled anew for every number of rows."""
    module = postgresql if dialect == "postgresql" else sqlite
    statement = module.insert(table).on_conflict_do_nothing(index_elements=list(index_elements))
    # Counted from RETURNING: psycopg reports rowcount -1 for a multi-VALUES insert, which read as
    # "inserted" when nothing was (a racing start_sync then looked for a run that did not exist).
    return statement.returning(table.c[index_elements[0]])


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
    Call it between two job steps: it runs ``ANALYZE`` in the current transaction and leaves the commit
    to the step that follows.
    """
    if db.session.get_bind().dialect.name != "postgresql":
        return []
    params = {"names": [t.name for t in tables], "minimum": STALE_MINIMUM, "fraction": STALE_FRACTION}
    stale = list(db.session.scalars(_STALE_TABLES, params))
    if stale:
        preparer = db.session.get_bind().dialect.identifier_preparer
        db.session.execute(text("ANALYZE " + ", ".join(preparer.quote(name) for name in stale)))
    return stale


log = logging.getLogger(__name__)

T = TypeVar("T")

# PostgreSQL: serialization failure, deadlock. SQLite: locked / busy messages.
_PG_RETRY_CODES = {"40001", "40P01"}
_SQLITE_RETRY_WORDS = ("database is locked", "database table is locked", "busy")


def is_conflict(exc: BaseException) -> bool:
    """True for errors that mean "another transaction got there first": retrying will succeed."""
    if isinstance(exc, IntegrityError):
        return True
    if isinstance(exc, OperationalError):
        code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
        if code in _PG_RETRY_CODES:
            return True
        text = str(exc.orig).lower()
        return any(word in text for word in _SQLITE_RETRY_WORDS)
    return False


def retry_on_conflict(
    unit: Callable[[], T], *, attempts: int = 6, describe: str = "write", base_delay: float = 0.05
) -> T:
    """Run ``unit`` (which must do its own commit) until it commits or ``attempts`` are used up.

    ``unit`` must be safe to run again after a rollback: it re-reads whatever it needs.
    """
    for attempt in range(1, attempts + 1):
        try:
            return unit()
        except (IntegrityError, OperationalError) as exc:
            db.session.rollback()
            if not is_conflict(exc) or attempt == attempts:
                raise
            delay = base_delay * (2 ** (attempt - 1)) * (0.5 + random.random())  # noqa: S311 - jitter
            log.info("%s lost a race with another writer (attempt %d): retrying", describe, attempt)
            time.sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover
