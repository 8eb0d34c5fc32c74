"""Store connections: the guide, Etsy and TikTok Shop OAuth (Authlib), disconnect/reconnect, and the
"needs reconnecting" banner shown on every page."""

from flask import Blueprint, Flask

bp = Blueprint("connect", __name__, url_prefix="/connect")

from connector_app.connect import etsy_routes, install_routes, routes, tiktok_routes  # noqa: E402,F401


def init_app(app: Flask) -> None:
    from connector_app.connect.guide import connection_alerts
    from connector_app.connect.oauth import register_clients

    register_clients()
    # A callable: the banner's queries run only when a full page renders it, once per request.
    app.jinja_env.globals["connection_alerts"] = connection_alerts
