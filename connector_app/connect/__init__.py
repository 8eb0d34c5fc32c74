from flask import Blueprint

bp = Blueprint("connect", __name__, url_prefix="/connect")

from connector_app.connect import routes  # noqa: E402,F401
