"""Time helpers: everything is stored in UTC and shown in the seller's timezone."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def utcnow() -> datetime:
    return datetime.now(UTC)


def from_unix(seconds: int | None) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(int(seconds), UTC)


def to_unix(moment: datetime | None) -> int | None:
    if moment is None:
        return None
    return int(ensure_aware(moment).timestamp())


def ensure_aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were stored as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def localize(moment: datetime | int | None, tz_name: str | None) -> datetime | None:
    if moment is None:
        return None
    if isinstance(moment, int):
        moment = from_unix(moment)
    return ensure_aware(moment).astimezone(zone(tz_name))
