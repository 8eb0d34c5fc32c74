"""Store connections: the guide, Etsy and TikTok Shop OAuth (Authlib), disconnect/reconnect, and the
"needs reconnecting" banner shown on every page."""

from flask import Blueprint, Flask

bp = Blueprint("connect", __name__, url_prefix="/connect")

from connector_app.connect import etsy_routes, routes, tiktok_routes  # noqa: E402,F401


def init_app(app: Flask) -> None:
    from connector_app.connect.guide import alerts_panel
    from connector_app.connect.oauth import register_clients
    from connector_app.panels import page_chrome

    register_clients()
    page_chrome.connect(alerts_panel, weak=False)  # the banner on every full page
