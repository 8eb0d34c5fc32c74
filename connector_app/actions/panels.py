"""What actions adds to the returns detail page, in answer to the returns feature's signals."""

from __future__ import annotations

from connector_app.actions import queries
from connector_app.actions.decisions import decision_label
from connector_app.actions.models import FAILED, PENDING, REFUSED, SKIPPED
from connector_app.panels import Panel
from connector_app.returns.models import ReturnRequest
from connector_app.returns.timeline import TimelineEntry
from connector_app.timeutil import to_unix

_OUTCOME = {
    PENDING: "sending to TikTok",
    FAILED: "not sent",
    REFUSED: "refused by TikTok",
    SKIPPED: "skipped",
}


def respond_panel(_sender, *, request: ReturnRequest, decided: bool = False, **_) -> Panel:
    """``detail_panels``: the respond panel with the request's decisions so far; ``decided``: the page
    is read again because a decision just finished, so its outcome is shown at the top."""
    queries.shop_of(request)
    history = queries.history_for(request)
    context = {"return_request": request, "history": history}
    if decided and history and history[0].state != PENDING:
        context["audit"] = history[0]
    return Panel("actions/_panel.html", context, order=10)


def bulk_toolbar(_sender, **_) -> Panel:
    """``grid_panels``: approve the ticked rows together."""
    return Panel("actions/_bulk_toolbar.html", {}, slot="toolbar")


def _how(audit) -> str:
    in_bulk = audit.bulk_id is not None and audit.idempotency_key != audit.bulk_id
    return "bulk approval in this app" if in_bulk else "in this app"


def decision_entries(_sender, *, request: ReturnRequest, **_) -> list[TimelineEntry]:
    """``timeline_entries``: the seller's own decisions — who, when, what, why."""
    entries = []
    for audit in queries.history_for(request, limit=50):
        if audit.state == SKIPPED:
            continue
        title = decision_label(audit.decision)
        if audit.state in _OUTCOME:
            title += f" ({_OUTCOME[audit.state]})"
        detail = " — ".join(
            part
            for part in (
                f"Reason: {audit.reject_reason_text}" if audit.reject_reason_text else "",
                f"Comment: “{audit.comment}”" if audit.comment else "",
                audit.message if audit.state != "succeeded" and audit.message else "",
            )
            if part
        )
        entries.append(
            TimelineEntry(
                at=to_unix(audit.created_at) or 0,
                title=title,
                detail=detail,
                actor=f"{audit.actor} ({_how(audit)})",
                source="decision",
            )
        )
    return entries
