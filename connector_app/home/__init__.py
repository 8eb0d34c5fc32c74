"""Landing page and the seller's starting point (health checks: ``connector_app.health``)."""

from flask import Blueprint

bp = Blueprint("home", __name__)

from connector_app.home import routes  # noqa: E402,F401
