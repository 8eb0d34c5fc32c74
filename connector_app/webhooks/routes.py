from __future__ import annotations

from connector_app.webhooks import bp  # noqa: F401
