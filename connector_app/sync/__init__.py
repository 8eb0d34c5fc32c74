from flask import Blueprint

bp = Blueprint("sync", __name__, url_prefix="/sync")

from connector_app.sync import routes  # noqa: E402,F401
