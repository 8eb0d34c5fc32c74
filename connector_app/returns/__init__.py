from flask import Blueprint, Flask

bp = Blueprint("returns", __name__, url_prefix="/returns")

from connector_app.returns import routes  # noqa: E402,F401


def _on_shop_connected(shop) -> None:
    """A shop was connected: its tab counters exist from the start (connect's ``shop_connected``)."""
    from connector_app.returns.services import ensure_tab_counts

    ensure_tab_counts(shop)


def init_app(app: Flask) -> None:
    """Template filters that show a request the way a seller reads it; the shop_connected receiver;
    the timeline's stored records are forgotten when the seller's decision changed the request."""
    from connector_app.connect.signals import shop_connected
    from connector_app.returns import display
    from connector_app.returns.signals import requests_changed
    from connector_app.returns.timeline import forget_records

    requests_changed.connect(forget_records)

    shop_connected.connect(_on_shop_connected, weak=False)

    for name in (
        "arbitration_help",
        "arbitration_label",
        "deadline_state",
        "next_action_label",
        "status_badge",
        "status_help",
        "status_label",
        "type_label",
    ):
        app.jinja_env.filters[name] = getattr(display, name)
