"""Alerts before TikTok decides for the seller: in-app notifications (the bell on every page and the
notifications page) and email (right away, or in a daily digest), each exactly once.

What can be alerted comes from the sources (``notifications.sources``: requests, connections, sync);
where it goes from the channels (``notifications.channels``: email). Alerts are computed by the
scheduled tick and by events (``returns.signals.requests_changed``, ``connect.signals``), never by a
page view. The bell is this feature's answer to ``page_chrome``.
"""

from flask import Blueprint, Flask

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


def unread(seller_id: int) -> int:
    """The seller's unread count, read once per request (the bell and the notifications page)."""
    from flask import g

    from connector_app.notifications.services import unread_count

    cached = g.get("notifications_unread")
    if cached is None or cached[0] != seller_id:
        g.notifications_unread = cached = (seller_id, unread_count(seller_id))
    return cached[1]


def forget_unread() -> None:
    """After marking notifications read in this request, the next read counts again."""
    from flask import g

    g.pop("notifications_unread", None)


def bell_panel(_sender, *, seller_id: int):
    from connector_app.panels import Panel

    return Panel("notifications/_bell.html", {"bell_unread": unread(seller_id)}, slot="nav", order=90)


def init_app(app: Flask) -> None:
    from connector_app.commands import register_periodic
    from connector_app.connect.signals import authorization_expiring, connection_lost
    from connector_app.notifications import jobs
    from connector_app.panels import page_chrome
    from connector_app.returns.signals import requests_changed

    register_periodic(app, jobs.tick, int(app.config.get("ALERT_SCAN_SECONDS") or 30))
    page_chrome.connect(bell_panel, weak=False)
    requests_changed.connect(jobs.on_requests_changed, weak=False)
    connection_lost.connect(jobs.on_connection_event, weak=False)
    authorization_expiring.connect(jobs.on_connection_event, weak=False)


from connector_app.notifications import routes  # noqa: E402,F401
