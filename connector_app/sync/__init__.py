"""Sync Returns: bulk sync jobs with live progress, resume after failures, and the scheduled sync.

What the sync shows on other features' pages it gives as panels, when asked (see
``connector_app.panels``): the nav indicator (``page_chrome``), the grid's Sync Returns controls
(``grid_panels``) and the connection guide's last step (``guide_sync_step``). It keeps each shop's
schedule in step with the connect feature's ``shop_connected`` / ``shop_disconnected``.
"""

from flask import Blueprint, Flask, g

bp = Blueprint("sync", __name__, url_prefix="/sync")

SCHEDULE_CHECK_SECONDS = 60
REAP_SECONDS = 30


def _active_runs(seller_id: int) -> list:
    """The seller's queued/running runs, read once per request (nav indicator and grid controls)."""
    from connector_app.sync.services import active_runs

    cached = g.get("sync_active_runs")
    if cached is None or cached[0] != seller_id:
        g.sync_active_runs = cached = (seller_id, active_runs(seller_id))
    return cached[1]


def indicator_panel(_sender, *, seller_id: int):
    from connector_app.panels import Panel

    runs = _active_runs(seller_id)
    return Panel("sync/_indicator.html", {"indicator_runs": runs}, slot="nav") if runs else None


def grid_controls_panel(_sender, *, seller_id: int, **_):
    from connector_app.panels import Panel
    from connector_app.sync.services import shops_with_last_sync

    shops = shops_with_last_sync(seller_id)
    context = {
        "sync_shops": [shop for shop, _state in shops if shop.is_connected],
        "last_synced": shops,  # every shop not disconnected, with when it last synced
        "active": _active_runs(seller_id),
    }
    return Panel("sync/_grid_controls.html", context, slot="controls")


def guide_answer(_sender, *, seller_id: int):
    from connector_app.sync.services import guide_step

    return guide_step(seller_id)


def on_shop_connected(shop) -> None:
    """A shop was connected: its first sync is queued now (when the connection commits), not at the
    scheduler's next check, and the schedule takes over from there."""
    from contextlib import suppress

    from connector_app.sync import subjects
    from connector_app.sync.schedule import claim_scheduled_slot, schedule_first_sync
    from connector_app.sync.services import SyncUnavailable, start_sync

    schedule_first_sync(shop)
    if shop.is_connected and claim_scheduled_slot(shop):
        for subject in subjects.registered():
            if subject.scheduled:
                with suppress(SyncUnavailable):  # a run of the shop is starting already
                    start_sync(shop, trigger="schedule", subject=subject.name)


def on_shop_disconnected(shop, **_) -> None:
    from connector_app.sync.schedule import unschedule

    unschedule(shop)


def init_app(app: Flask) -> None:
    from connector_app.commands import register_periodic
    from connector_app.connect.signals import guide_sync_step, shop_connected, shop_disconnected
    from connector_app.panels import page_chrome
    from connector_app.returns.signals import grid_panels
    from connector_app.sync import progress, subjects
    from connector_app.sync.jobs import enqueue_due_syncs
    from connector_app.sync.services import reap_dead_runs

    register_periodic(app, enqueue_due_syncs, SCHEDULE_CHECK_SECONDS)
    register_periodic(app, reap_dead_runs, REAP_SECONDS)
    page_chrome.connect(indicator_panel, weak=False)
    grid_panels.connect(grid_controls_panel, weak=False)
    guide_sync_step.connect(guide_answer, weak=False)
    shop_connected.connect(on_shop_connected, weak=False)
    shop_disconnected.connect(on_shop_disconnected, weak=False)
    app.jinja_env.filters["sync_time_left"] = progress.time_left_text
    app.jinja_env.filters["sync_summary"] = progress.summary
    app.jinja_env.filters["sync_badge"] = progress.badge
    app.jinja_env.filters["sync_subject"] = subjects.label
    app.jinja_env.filters["sync_subject_progress"] = subjects.progress_of
    app.jinja_env.filters["sync_percent"] = progress.overall_percent


from connector_app.sync import routes  # noqa: E402,F401
