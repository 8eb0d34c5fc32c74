"""TikTok Shop Order and FBT calls over an existing ``TikTokClient`` (reference §2 and §4).

Functions, not methods, so the client module stays as it is: each takes the shop-scoped client and
goes through its signed, rate-limited, retrying ``_call``.

- Get Order List ``POST /order/202309/orders/search``: ``page_size`` 1–100 and the sort in the query,
  filters in the body; ``_lt`` upper bounds are exclusive; there is no ``fulfillment_type`` filter.
- Get Order Detail ``GET /order/202507/orders?ids=a,b``: at most 50 ids per call (batched here).
- FBT inventory ``POST /fbt/202408/inventory/search``: ``page_size`` 1–100, ``sku_ids`` ≤ 100.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from ..types import Page, to_int
from .order_types import FbtStock, Order, fbt_stock, order, order_status

if TYPE_CHECKING:
    from .client import TikTokClient

ORDER_LIST_PATH = "/order/202309/orders/search"
ORDER_DETAIL_PATH = "/order/202507/orders"
FBT_INVENTORY_PATH = "/fbt/202408/inventory/search"
MAX_DETAIL_IDS = 50
MAX_PAGE_SIZE = 100
MAX_FBT_SKU_IDS = 100
ORDER_STATUS_CHANGE = 1
FBT_WEBHOOK_TYPES = frozenset({21, 22, 23, 24})


def search_orders(
    client: TikTokClient,
    filters: Mapping[str, Any] | None = None,
    *,
    page_size: int = 50,
    page_token: str | None = None,
    sort_field: str = "update_time",
    sort_order: str = "ASC",
) -> Page[Order]:
    """One page of orders (seller-fulfilled and FBT alike: TikTok has no filter for that)."""
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValueError(f"page_size must be 1–{MAX_PAGE_SIZE}")
    query: dict[str, Any] = {"page_size": page_size, "sort_field": sort_field, "sort_order": sort_order}
    if page_token:
        query["page_token"] = page_token
    data = client._call("POST", ORDER_LIST_PATH, query=query, body=dict(filters or {})).data
    total = data.get("total_count")
    return Page(
        items=[order(item) for item in data.get("orders") or () if isinstance(item, Mapping)],
        next_page_token=str(data.get("next_page_token") or ""),
        total_count=int(total) if total is not None else None,
    )


def iter_orders(
    client: TikTokClient,
    filters: Mapping[str, Any] | None = None,
    *,
    page_size: int = 50,
    page_token: str | None = None,
    sort_field: str = "update_time",
    sort_order: str = "ASC",
) -> Iterator[Page[Order]]:
    """Every page, following ``next_page_token`` until it is empty (or repeats)."""
    token = page_token
    while True:
        page = search_orders(
            client,
            filters,
            page_size=page_size,
            page_token=token,
            sort_field=sort_field,
            sort_order=sort_order,
        )
        yield page
        if not page.next_page_token or page.next_page_token == token:
            return
        token = page.next_page_token


def _chunks(ids: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def get_orders(client: TikTokClient, order_ids: Iterable[str]) -> list[Order]:
    """The detail of each order, in calls of at most 50 ids; ids TikTok does not return are left out."""
    unique = list(dict.fromkeys(str(i) for i in order_ids if str(i)))
    found: list[Order] = []
    for chunk in _chunks(unique, MAX_DETAIL_IDS):
        data = client._call("GET", ORDER_DETAIL_PATH, query={"ids": ",".join(chunk)}).data
        found.extend(order(item) for item in data.get("orders") or () if isinstance(item, Mapping))
    return found


def search_fbt_inventory(
    client: TikTokClient,
    sku_ids: Iterable[str] | None = None,
    *,
    page_size: int = 100,
    page_token: str | None = None,
) -> Page[FbtStock]:
    """One page of FBT stock; with no ``sku_ids`` TikTok lists only goods with stock."""
    ids = [str(i) for i in sku_ids or ()]
    if len(ids) > MAX_FBT_SKU_IDS:
        raise ValueError(f"at most {MAX_FBT_SKU_IDS} sku_ids per FBT inventory search")
    query: dict[str, Any] = {"page_size": page_size}
    if page_token:
        query["page_token"] = page_token
    body = {"sku_ids": ids} if ids else {}
    data = client._call("POST", FBT_INVENTORY_PATH, query=query, body=body).data
    rows = [
        row for item in data.get("inventory") or () if isinstance(item, Mapping) for row in fbt_stock(item)
    ]
    total = data.get("total_count")
    return Page(
        items=rows,
        next_page_token=str(data.get("next_page_token") or ""),
        total_count=int(total) if total is not None else None,
    )


def fbt_inventory(client: TikTokClient, sku_ids: Iterable[str]) -> list[FbtStock]:
    """FBT stock of these SKUs (every page, ≤ 100 ids per search)."""
    ids = list(dict.fromkeys(str(i) for i in sku_ids))
    rows: list[FbtStock] = []
    for chunk in _chunks(ids, MAX_FBT_SKU_IDS):
        token: str | None = None
        while True:
            page = search_fbt_inventory(client, chunk, page_token=token)
            rows.extend(page.items)
            if not page.next_page_token or page.next_page_token == token:
                break
            token = page.next_page_token
    return rows


def order_status_event(data: Mapping[str, Any]) -> tuple[str, str, int]:
    """``(order_id, status, update_time)`` of a type-1 webhook's ``data`` (``CANCEL`` → ``CANCELLED``)."""
    order_id = data.get("order_id")
    return (
        "" if order_id is None else str(order_id),
        order_status(data.get("order_status")),
        to_int(data.get("update_time")),
    )
