"""How a run is described to the seller: time left, and a one-line summary of what changed."""

from __future__ import annotations

from connector_app.sync.models import DEAD, FAILED, QUEUED, SUCCEEDED, SyncRun
from connector_app.timeutil import ensure_aware, utcnow


def seconds_left(run: SyncRun) -> int | None:
    """Estimated seconds to finish, from this run's own pace; None until there is a pace to go by."""
    if run.state != "running" or not run.started_at or not run.total_expected:
        return None
    start_done = (run.details or {}).get("start_done", 0)
    done_here = run.requests_done - start_done
    elapsed = (utcnow() - ensure_aware(run.started_at)).total_seconds()
    if done_here <= 0 or elapsed <= 0:
        return None
    remaining = max(0, run.total_expected - run.requests_done)
    return int(remaining / (done_here / elapsed))


def time_left_text(run: SyncRun) -> str:
    seconds = seconds_left(run)
    if seconds is None:
        return "estimating time left…" if run.state != QUEUED else "waiting for a worker…"
    if seconds < 60:
        return "less than a minute left"
    minutes, _ = divmod(seconds, 60)
    if minutes < 60:
        return f"about {minutes} min left"
    return f"about {minutes // 60} h {minutes % 60} min left"


def summary(run: SyncRun) -> str:
    """'1,204 requests checked: 200 new, 31 updated, 973 unchanged.' (+ the error when it failed)."""
    counts = (
        f"{run.requests_done:,} requests checked: {run.created_count:,} new, "
        f"{run.updated_count:,} updated, {run.unchanged_count:,} unchanged."
    )
    if run.state == SUCCEEDED:
        return counts if run.requests_done else "Everything was already up to date."
    if run.state in (FAILED, DEAD):
        return f"{run.error or 'The sync stopped.'} So far {counts}"
    return counts


OUTCOME_BADGES = {
    "queued": ("Queued", "badge-info"),
    "running": ("Running", "badge-info"),
    SUCCEEDED: ("Succeeded", "badge-ok"),
    FAILED: ("Failed", "badge-danger"),
    DEAD: ("Interrupted", "badge-warn"),
}


def badge(state: str) -> tuple[str, str]:
    return OUTCOME_BADGES.get(state, (state.title(), ""))


def overall_percent(runs: list[SyncRun]) -> int | None:
    """One figure for several runs (the nav indicator)."""
    known = [r for r in runs if r.total_expected]
    if not known:
        return None
    total = sum(r.total_expected for r in known)
    return min(99, sum(min(r.requests_done, r.total_expected) for r in known) * 100 // total)
