"""A catalog run's live progress: its phase and counts (TikTok products read, Etsy listings read,
products compared, TikTok calls made), kept in the run's ``details`` with each checkpoint, and how
the progress bar on the Sync and Products pages describes it (``sync.subjects.Subject.progress``)."""

from __future__ import annotations

import time

from sqlalchemy import update

from connector_app.extensions import db
from connector_app.sync.models import DEAD, FAILED, SUCCEEDED, SyncRun
from connector_app.sync.subjects import SubjectProgress
from connector_app.tenancy import get_for_seller

KEY = "catalog"
TIKTOK, ETSY, PUSH = "tiktok", "etsy", "push"
# The share of the bar each phase fills: reading TikTok, reading Etsy, comparing and pushing.
BANDS = {TIKTOK: (0, 30), ETSY: (30, 60), PUSH: (60, 100)}
PHASE_LABELS = {
    TIKTOK: "Step 1 of 3: reading TikTok products",
    ETSY: "Step 2 of 3: reading Etsy listings",
    PUSH: "Step 3 of 3: comparing and pushing",
}
WRITE_EVERY_SECONDS = 1.0  # the push phase writes its counts at most this often (the bar polls each second)


def counts(run: SyncRun) -> dict:
    return dict((run.details or {}).get(KEY) or {})


def record(seller_id: int, run_id: str, **values: int) -> None:
    """Merge ``values`` into the run's catalog counts (in the caller's transaction; flushes)."""
    run = get_for_seller(SyncRun, seller_id, id=run_id)
    if run is None:
        return
    db.session.execute(
        update(SyncRun)
        .where(SyncRun.id == run_id, SyncRun.seller_id == seller_id)
        .values(details={**(run.details or {}), KEY: {**counts(run), **values}})
        .execution_options(synchronize_session="fetch")
    )


class PushMeter:
    """Writes the push phase's counts while it runs, at most once a second (its own small commit)."""

    def __init__(self, seller_id: int, run_id: str, to_compare: int) -> None:
        self.seller_id, self.run_id, self.to_compare = seller_id, run_id, to_compare
        self.compared = [0]
        self._last = 0.0

    def values(self, summary) -> dict:  # noqa: ANN001
        return {
            "to_compare": self.to_compare,
            "compared": self.compared[0],
            "calls": summary.calls,
            "done": summary.done,
            "failed": summary.failed,
            "held": summary.held,
            "check": summary.check,
        }

    def __call__(self, summary) -> None:  # noqa: ANN001
        now = time.monotonic()
        if now - self._last < WRITE_EVERY_SECONDS:
            return
        self._last = now
        record(self.seller_id, self.run_id, **self.values(summary))
        db.session.commit()


def _n(value: int | None) -> str:
    return f"{value or 0:,}"


def _fraction(done: int | None, total: int | None) -> float:
    if not total:
        return 0.0
    return min(1.0, (done or 0) / total)


def describe(run: SyncRun) -> SubjectProgress:
    """``Subject.progress`` of the catalog: the phase, its counts and an overall percent."""
    c = counts(run)
    phase = run.phase if run.phase in BANDS else None
    if phase == TIKTOK:
        total = c.get("products_total")
        fraction = _fraction(c.get("products_read"), total)
        detail = f"{_n(c.get('products_read'))}" + (f" of {_n(total)}" if total else "") + " products read"
    elif phase == ETSY:
        total = c.get("listings_total")
        fraction = _fraction(c.get("listings_read"), total)
        detail = f"{_n(c.get('listings_read'))}" + (f" of {_n(total)}" if total else "") + " listings read"
    elif phase == PUSH:
        fraction = _fraction(c.get("compared"), c.get("to_compare"))
        detail = (
            f"{_n(c.get('compared'))} of {_n(c.get('to_compare'))} products compared · "
            f"{_n(c.get('calls'))} TikTok calls made, {_n(c.get('done'))} SKU changes done"
            + (f", {_n(c.get('failed'))} refused" if c.get("failed") else "")
            + (f", {_n(c.get('held'))} held for you" if c.get("held") else "")
        )
    else:
        fraction, detail = 0.0, "starting"
    if phase is None:
        percent = 0
    else:
        low, high = BANDS[phase]
        percent = min(99, int(low + (high - low) * fraction))
    if run.state == SUCCEEDED:
        percent = 100
    line = f"{PHASE_LABELS[phase]} — {detail}" if phase else "Starting"
    done = (
        f"{_n(c.get('products_read'))} TikTok products and {_n(c.get('listings_read'))} Etsy listings "
        f"read, {_n(c.get('compared'))} products compared, {_n(c.get('calls'))} TikTok calls made: "
        f"{_n(c.get('done'))} SKU changes done"
        + (f", {_n(c.get('failed'))} refused by TikTok" if c.get("failed") else "")
        + (f", {_n(c.get('held'))} held for your confirmation" if c.get("held") else "")
        + "."
    )
    summary = None
    if run.state == SUCCEEDED:
        summary = done
    elif run.state in (FAILED, DEAD):
        summary = f"{run.error or 'The catalog sync stopped.'} So far: {done}"
    return SubjectProgress(percent=percent, line=line, summary=summary)
