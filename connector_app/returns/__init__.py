from flask import Blueprint, Flask

bp = Blueprint("returns", __name__, url_prefix="/returns")

from connector_app.returns import routes  # noqa: E402,F401


def init_app(app: Flask) -> None:
    """Template filters that show a request the way a seller reads it; the timeline's stored records
    are forgotten when the seller's decision changed the request."""
    from connector_app.returns import display
    from connector_app.returns.signals import requests_changed
    from connector_app.returns.timeline import forget_records

    requests_changed.connect(forget_records)

    for name in (
        "arbitration_label",
        "deadline_state",
        "next_action_label",
        "status_badge",
        "status_label",
        "type_label",
    ):
        app.jinja_env.filters[name] = getattr(display, name)
