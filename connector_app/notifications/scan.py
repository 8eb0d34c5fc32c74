"""The scheduled scan: every source looks at what became due since the previous scan, across sellers.

The previous scan's end is stored (``ScanMark``); this scan reads from a little before it (a
transaction that committed late is not missed: what is read twice is deduplicated by the alerts'
unique key) up to now. After a long outage it reads at most as far back as the largest threshold in
use: older deadlines have passed, and what waits is in the next digest. On PostgreSQL the mark's row is
locked for the scan, so schedulers take turns; on SQLite writers take turns anyway.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from connector_app.dbutil import insert_ignore, retry_on_conflict
from connector_app.extensions import db
from connector_app.notifications.models import ScanMark
from connector_app.notifications.preferences import thresholds_in_use
from connector_app.notifications.services import raise_alerts
from connector_app.notifications.sources import Window, sources
from connector_app.timeutil import ensure_aware, utcnow
from connector_app.transactions import job_step

NAME = "alerts"
OVERLAP = timedelta(minutes=2)


@dataclass
class ScanReport:
    window: Window
    rows_read: dict[str, int] = field(default_factory=dict)  # per source
    found: int = 0  # alerts found due (some raised by an earlier scan or an event already)
    created: int = 0  # notifications this scan created: what was newly due
    deliveries: list[int] = field(default_factory=list)  # created by this scan, to send

    @property
    def total_read(self) -> int:
        return sum(self.rows_read.values())


def lookback() -> timedelta:
    return timedelta(hours=max(thresholds_in_use() or {24}))


def run_scan(now: datetime | None = None) -> ScanReport:
    """One scan, committed as one step: the alerts it raised and the mark move together. A scan that
    lost a race with another writer is run again from the start (it then finds their alerts)."""
    now = now or utcnow()
    return retry_on_conflict(lambda: _scan(now), describe="alert scan")


def _scan(now: datetime) -> ScanReport:
    with job_step():
        mark = db.session.get(ScanMark, NAME, with_for_update=True)
        earliest = now - lookback()
        since = max(ensure_aware(mark.scanned_until) - OVERLAP, earliest) if mark else earliest
        window = Window(since=min(since, now), now=now, first=mark is None)
        report = ScanReport(window)
        alerts = []
        for source in sources():
            found = source.scan(window)
            report.rows_read[source.name] = found.rows_read
            alerts += found.alerts
        report.found = len(alerts)
        raised = raise_alerts(alerts, now)
        report.created, report.deliveries = raised.created, raised.deliveries
        if mark is None:  # the first scan ever (two at once: both insert-or-skip)
            insert_ignore(ScanMark.__table__, [{"name": NAME, "scanned_until": now}], ["name"])
        elif ensure_aware(mark.scanned_until) < now:
            mark.scanned_until = now
    return report
