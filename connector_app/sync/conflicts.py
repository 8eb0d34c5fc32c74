"""Retrying a unit of database work that lost a race with another writer.

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
from typing import TypeVar

from sqlalchemy.exc import IntegrityError, OperationalError

from connector_app.extensions import db

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
