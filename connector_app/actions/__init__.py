from flask import Blueprint

bp = Blueprint("actions", __name__, url_prefix="/actions")

from connector_app.actions import routes  # noqa: E402,F401
