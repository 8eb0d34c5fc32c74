"""Time helpers: everything is stored in UTC and shown in the seller's timezone."""

from __future__ import annotations

from datetime import UTC, date, datetime
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


DEFAULT_DATE_FORMAT = "%Y-%m-%d %H:%M"
_TIME_DIRECTIVES = ("%H", "%I", "%M", "%S", "%p")
_EXAMPLE_DAY = datetime(2025, 3, 31)


def date_only(fmt: str | None) -> str:
    """The date part of a seller's date-and-time format ("%d %b %Y, %H:%M" → "%d %b %Y")."""
    parts = [p for p in (fmt or DEFAULT_DATE_FORMAT).split() if not any(d in p for d in _TIME_DIRECTIVES)]
    return " ".join(parts).rstrip(",") or "%Y-%m-%d"


def date_example(fmt: str | None) -> str:
    """How a date looks in the seller's format (a placeholder: "31/03/2025")."""
    return _EXAMPLE_DAY.strftime(date_only(fmt))


def parse_day(text: str, fmt: str | None) -> date | None:
    """A day typed in the seller's date format or as ISO (YYYY-MM-DD); None if it is neither."""
    for pattern in (date_only(fmt), "%Y-%m-%d"):
        try:
            return datetime.strptime(text.strip(), pattern).date()
        except ValueError:
            continue
    return None
