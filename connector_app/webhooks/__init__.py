"""TikTok Shop webhooks: signed deliveries acknowledged at once, the work done by a job."""

from flask import Blueprint

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")

from connector_app.webhooks import routes  # noqa: E402,F401
