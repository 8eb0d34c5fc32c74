"""Background work of the returns feature: what the detail page shows but must not fetch itself."""

from __future__ import annotations

from connector_app.returns.timeline import fetch_records


def fetch_return_records(seller_id: int, request_pk: int) -> None:
    """Fetch TikTok's records of one return into the store the timeline reads."""
    fetch_records(seller_id, request_pk)
