"""Acting on return requests: approve/reject with confirmation, bulk approval, the action log."""

from flask import Blueprint, Flask

bp = Blueprint("actions", __name__, url_prefix="/actions")

from connector_app.actions import bulk_routes, routes  # noqa: E402,F401


def init_app(app: Flask) -> None:
    from flask import url_for
    from werkzeug.routing import BuildError

    from connector_app.actions import services
    from connector_app.panels import Panel
    from connector_app.returns.signals import detail_panels, grid_panels

    def decision_panel(_sender, *, request, **_):
        return Panel("actions/_panel.html", {"request": request}, order=10)

    def bulk_toolbar(_sender, **_):
        return Panel("actions/_bulk_toolbar.html", {}, slot="toolbar")

    detail_panels.connect(decision_panel, weak=False)
    grid_panels.connect(bulk_toolbar, weak=False)
    from connector_app.actions.decisions import ships_to_keep

    def request_url(return_request) -> str:
        """The request's detail page (returns feature), or its respond panel page as a fallback."""
        try:
            return url_for("returns.detail", request_id=return_request.request_id)
        except BuildError:
            return url_for("actions.panel", request_id=return_request.request_id)

    @app.context_processor
    def action_helpers() -> dict:
        return {
            "allowed_decisions": services.allowed_decisions,
            "action_history": services.history_for,
            "new_idempotency_key": services.new_idempotency_key,
            "decision_label": services.decision_label,
            "request_url": request_url,
            "ships_to_keep": lambda r: (
                r.shop is not None and r.shop.is_connected and ships_to_keep(r.next_action, r.shop.region)
            ),
        }
