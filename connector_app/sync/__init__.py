"""Sync Returns: bulk sync jobs with live progress, resume after failures, and the scheduled sync."""

from flask import Blueprint, Flask, g
from flask_login import current_user

bp = Blueprint("sync", __name__, url_prefix="/sync")

SCHEDULE_CHECK_SECONDS = 60


def seller_active_runs() -> list:
    """The logged-in seller's queued/running runs, once per request (used by the nav indicator and
    the grid controls)."""
    if not current_user.is_authenticated:
        return []
    if "sync_active_runs" not in g:
        from connector_app.sync.services import active_runs

        g.sync_active_runs = active_runs(current_user.id)
    return g.sync_active_runs


def seller_connected_shops() -> list:
    if not current_user.is_authenticated:
        return []
    from connector_app.sync.services import connected_shops

    return connected_shops(current_user.id)


def init_app(app: Flask) -> None:
    from connector_app.commands import register_periodic
    from connector_app.sync import progress
    from connector_app.sync.jobs import enqueue_due_syncs

    register_periodic(app, enqueue_due_syncs, SCHEDULE_CHECK_SECONDS)
    app.jinja_env.globals["sync_active_runs"] = seller_active_runs
    app.jinja_env.filters["sync_time_left"] = progress.time_left_text
    app.jinja_env.filters["sync_summary"] = progress.summary
    app.jinja_env.filters["sync_badge"] = progress.badge
    app.jinja_env.filters["sync_percent"] = progress.overall_percent
    app.jinja_env.globals["sync_connected_shops"] = seller_connected_shops


from connector_app.sync import routes  # noqa: E402,F401
