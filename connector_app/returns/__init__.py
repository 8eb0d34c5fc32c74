from flask import Blueprint

bp = Blueprint("returns", __name__, url_prefix="/returns")

from connector_app.returns import routes  # noqa: E402,F401
