"""What the sandbox marketplace says the grid must show: per-tab counts and request statuses.

Shared by the browser journey and ``scripts/scaleout_journey.py``. The tab of a status comes from the
grid's own table (``connector_app.returns.tabs``), so the expectation is computed, never hard-coded.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import requests

from connector_app.returns.tabs import TABS, tab_for_status


def sandbox_counts(sandbox_url: str, shop_ids: Iterable[str]) -> dict[str, int]:
    """Requests by status (returns and cancellations) over ``shop_ids``, from ``/_sandbox/counts``."""
    total: dict[str, int] = {}
    for shop_id in shop_ids:
        response = requests.get(f"{sandbox_url}/_sandbox/counts", params={"shop_id": shop_id}, timeout=30)
        response.raise_for_status()
        for status, count in response.json().items():
            total[status] = total.get(status, 0) + count
    return total


def expected_tab_counts(status_counts: dict[str, int]) -> dict[str, int]:
    """The count every grid tab must show for these statuses (``all`` counts every request)."""
    counts = {tab.key: 0 for tab in TABS}
    for status, count in status_counts.items():
        counts["all"] += count
        key = tab_for_status(status)
        if key in counts and key != "all":
            counts[key] += count
    return counts


def sandbox_request(sandbox_url: str, shop_id: str, request_id: str) -> dict[str, Any]:
    """One request as the sandbox holds it (id, kind, status, ...)."""
    after = "0"
    while after:
        response = requests.get(
            f"{sandbox_url}/_sandbox/requests", params={"shop_id": shop_id, "after": after}, timeout=30
        )
        response.raise_for_status()
        page = response.json()
        for item in page["requests"]:
            if str(item["id"]) == request_id:
                return item
        after = page["next_after"]
    raise LookupError(f"the sandbox has no request {request_id} in shop {shop_id}")


def shops_of(sandbox_url: str, seller: str) -> list[dict[str, Any]]:
    """The sandbox's TikTok shops of one demo seller (id, name, region, ...)."""
    response = requests.get(f"{sandbox_url}/_sandbox/state", timeout=30)
    response.raise_for_status()
    return [shop for shop in response.json()["shops"] if shop["seller"] == seller]


def waiting_count(sandbox_url: str, shop_ids: Iterable[str]) -> int:
    """How many requests of these shops TikTok waits on the seller for (the "Needs your answer" count)."""
    total = 0
    for shop_id in shop_ids:
        after = "0"
        while after:
            response = requests.get(
                f"{sandbox_url}/_sandbox/requests", params={"shop_id": shop_id, "after": after}, timeout=30
            )
            response.raise_for_status()
            page = response.json()
            total += sum(1 for r in page["requests"] if (r["next_action"] or "").startswith("SELLER_RESPOND"))
            after = page["next_after"]
    return total
