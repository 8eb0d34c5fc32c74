"""Acting on return requests: approve/reject with confirmation, bulk approval, the action log."""

from flask import Blueprint, Flask

bp = Blueprint("actions", __name__, url_prefix="/actions")

from connector_app.actions import bulk_routes, routes  # noqa: E402,F401


def init_app(app: Flask) -> None:
    from flask import url_for
    from werkzeug.routing import BuildError

    from connector_app.actions import panels
    from connector_app.actions.decisions import allowed_decisions, decision_label, ships_to_keep
    from connector_app.actions.forms import new_idempotency_key
    from connector_app.returns.signals import detail_panels, grid_panels, timeline_entries

    def request_url(return_request) -> str:
        """The request's detail page (returns feature), or its respond panel page as a fallback."""
        try:
            return url_for("returns.detail", request_id=return_request.request_id)
        except BuildError:
            return url_for("actions.panel", request_id=return_request.request_id)

    @app.context_processor
    def action_helpers() -> dict:
        # Pure helpers only: no query runs from a template (the views gather the history).
        return {
            "allowed_decisions": allowed_decisions,
            "new_idempotency_key": new_idempotency_key,
            "decision_label": decision_label,
            "request_url": request_url,
            "ships_to_keep": lambda r: (
                r.shop is not None and r.shop.is_connected and ships_to_keep(r.next_action, r.shop.region)
            ),
        }

    detail_panels.connect(panels.respond_panel, weak=False)
    grid_panels.connect(panels.bulk_toolbar, weak=False)
    timeline_entries.connect(panels.decision_entries, weak=False)
