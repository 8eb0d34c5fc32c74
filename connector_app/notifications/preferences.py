"""A seller's alert choices, read for one seller or for every seller a scan found something for.

Reading never writes (a seller without an ``AlertSettings`` row has the defaults); writers use
``settings_for_update``. The defaults come from the configuration (``ALERT_THRESHOLDS``,
``ALERT_DIGEST_TIME``) and each kind's own defaults.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from connector_app.dbutil import insert_ignore
from connector_app.extensions import db
from connector_app.notifications.kinds import DIGEST, DIGEST_KIND, IMMEDIATE, OFF
from connector_app.notifications.models import AlertSettings
from connector_app.notifications.sources import all_kinds
from connector_app.timeutil import ensure_aware, utcnow, zone

THRESHOLD_CHOICES = (72, 48, 24, 12, 8, 4, 2, 1)  # hours before a deadline
MAX_THRESHOLDS = 3


def parse_thresholds(text: str | None) -> tuple[int, ...]:
    """``"24,4"`` → ``(24, 4)``: known choices only, largest first, at most three."""
    hours = set()
    for part in (text or "").split(","):
        part = part.strip()
        if part.isascii() and part.isdigit() and int(part) in THRESHOLD_CHOICES:
            hours.add(int(part))
    return tuple(sorted(hours, reverse=True))[:MAX_THRESHOLDS]


def default_thresholds() -> tuple[int, ...]:
    return parse_thresholds(current_app.config.get("ALERT_THRESHOLDS")) or (24, 4)


def parse_clock(text: str | None) -> int | None:
    """``"08:30"`` → minutes after midnight, or None."""
    try:
        hours, minutes = (int(p) for p in (text or "").split(":"))
    except ValueError:
        return None
    return hours * 60 + minutes if 0 <= hours < 24 and 0 <= minutes < 60 else None


def default_digest_minute() -> int:
    minute = parse_clock(current_app.config.get("ALERT_DIGEST_TIME"))
    return 8 * 60 if minute is None else minute


@dataclass(frozen=True)
class Prefs:
    seller_id: int
    thresholds: tuple[int, ...]
    digest_minute: int
    channels: dict = field(default_factory=dict)

    def in_app(self, kind: str) -> bool:
        choice = self.channels.get(kind) or {}
        default = all_kinds().get(kind)
        return bool(choice.get("in_app", default.in_app if default else True))

    def email(self, kind: str) -> str:
        choice = self.channels.get(kind) or {}
        default = all_kinds().get(kind)
        mode = choice.get("email", default.email if default else OFF)
        return mode if mode in (IMMEDIATE, DIGEST, OFF) else OFF

    @property
    def digest_on(self) -> bool:
        return self.email(DIGEST_KIND) != OFF

    def stage_for(self, seconds_left: int) -> int | None:
        """The tightest threshold (hours) a deadline ``seconds_left`` away has crossed, if any."""
        if seconds_left <= 0:
            return None
        crossed = [hours for hours in self.thresholds if seconds_left <= hours * 3600]
        return min(crossed) if crossed else None


def _prefs(seller_id: int, row: AlertSettings | None) -> Prefs:
    if row is None:
        return Prefs(seller_id, default_thresholds(), default_digest_minute())
    thresholds = parse_thresholds(row.thresholds)
    return Prefs(seller_id, thresholds, row.digest_minute, dict(row.channels or {}))


def prefs_of(seller_id: int) -> Prefs:
    return _prefs(seller_id, db.session.get(AlertSettings, seller_id))


def prefs_for(seller_ids: Iterable[int]) -> dict[int, Prefs]:
    """Every one of these sellers' choices, in one query."""
    ids = sorted(set(seller_ids))
    rows = {}
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        rows.update(
            {
                row.seller_id: row
                for row in db.session.scalars(select(AlertSettings).where(AlertSettings.seller_id.in_(chunk)))
            }
        )
    return {seller_id: _prefs(seller_id, rows.get(seller_id)) for seller_id in ids}


def thresholds_in_use() -> set[int]:
    """Every threshold some seller has (the defaults included): the scan looks at each one's slice."""
    used = set(default_thresholds())
    for text in db.session.scalars(select(AlertSettings.thresholds).distinct()):
        used.update(parse_thresholds(text))
    return used


def settings_for_update(seller_id: int) -> AlertSettings:
    """The seller's stored row, locked for this transaction (two changes at once never lose one),
    created with the defaults if missing. Flushes."""
    row = db.session.get(AlertSettings, seller_id, with_for_update=True)
    if row is None:
        defaults = {
            "seller_id": seller_id,
            "thresholds": ",".join(str(h) for h in default_thresholds()),
            "digest_minute": default_digest_minute(),
            "channels": {},
            "updated_at": utcnow(),
        }
        insert_ignore(AlertSettings.__table__, [defaults], ["seller_id"])
        row = db.session.get(AlertSettings, seller_id, with_for_update=True, populate_existing=True)
    return row


def next_digest_at(timezone: str | None, digest_minute: int, after: datetime | None = None) -> datetime:
    """The next moment it is ``digest_minute`` o'clock in ``timezone``, strictly after ``after``."""
    after = ensure_aware(after or utcnow())
    tz = zone(timezone)
    local = after.astimezone(tz)
    for days in range(0, 3):
        day = (local + timedelta(days=days)).date()
        candidate = datetime(day.year, day.month, day.day, digest_minute // 60, digest_minute % 60, tzinfo=tz)
        # A time skipped by a DST change resolves (fold=0) to the same wall time an hour later.
        moment = candidate.astimezone(after.tzinfo)
        if moment > after:
            return moment
    raise AssertionError("unreachable")  # pragma: no cover
