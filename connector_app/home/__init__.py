"""Landing page, the seller's starting point, and the health check."""

from flask import Blueprint

bp = Blueprint("home", __name__)

from connector_app.home import routes  # noqa: E402,F401
