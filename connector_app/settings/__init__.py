"""Per-seller settings: returns preferences (sync interval per shop, restock, default shop, page size)
and the account (timezone, date format, password, connected stores, delete account)."""

from flask import Blueprint, Flask

bp = Blueprint("settings", __name__, url_prefix="/settings")

from connector_app.settings import routes  # noqa: E402,F401


def init_app(app: Flask) -> None:
    from flask import url_for
    from werkzeug.routing import BuildError

    def endpoint_url(endpoint: str, **values) -> str | None:
        """URL of another feature's endpoint, or None while that feature does not offer it."""
        try:
            return url_for(endpoint, **values)
        except BuildError:
            return None

    app.jinja_env.globals["endpoint_url"] = endpoint_url
