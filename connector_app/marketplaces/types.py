"""Types shared by both marketplace clients, plus small parsing helpers."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Generic, TypeVar

T = TypeVar("T")

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of results. ``next_page_token`` is empty on the last page."""

    items: list[T] = field(default_factory=list)
    next_page_token: str = ""
    total_count: int | None = None


@dataclass(frozen=True)
class Money:
    currency: str
    amount: Decimal


def to_decimal(value: Any) -> Decimal | None:
    """Money from a string/number (never through float); ``None`` for missing or unreadable values."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        return value if isinstance(value, Decimal) else Decimal(str(value))
    except InvalidOperation:
        return None


def to_id(value: Any) -> str:
    """Marketplace ids are strings (they exceed 2**53); empty string when missing."""
    return "" if value is None else str(value)


def to_int(value: Any, default: int = 0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def to_optional_int(value: Any) -> int | None:
    return None if value is None or value == "" else to_int(value)


_warned: set[tuple[str, str]] = set()
_warned_lock = threading.Lock()


def open_enum(field_name: str, value: Any, known: Iterable[str]) -> str:
    """Keep an enum value as its raw string; log a warning the first time an unknown one is seen."""
    raw = "" if value is None else str(value)
    if raw and raw not in known:
        key = (field_name, raw)
        with _warned_lock:
            first = key not in _warned
            _warned.add(key)
        if first:
            logger.warning("Unknown %s value %r kept as is", field_name, raw)
    return raw
