"""Signals features above products answer, so the catalog shows what they know without importing them.

``fbt_stock`` is sent by the Products page with ``seller_id`` and ``keys`` — ``(shop_pk, sku_id)`` of
the Fulfilled-by-TikTok SKUs it shows; a receiver (orders keeps the FBT inventory) answers
``{(shop_pk, sku_id): FbtStockInfo}`` for the keys it knows. Gathered in the view, before rendering.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from blinker import Namespace

_signals = Namespace()

fbt_stock = _signals.signal("fbt-stock")

SkuKey = tuple[int, str]  # (TikTokShop.id, TikTok SKU id)


@dataclass(frozen=True)
class FbtStockInfo:
    """A SKU's stock in TikTok's (FBT) warehouses: available and reserved units in all of them, per
    warehouse ``{warehouse_id: available}``, and when TikTok's FBT inventory was last read."""

    available: int
    reserved: int
    as_of: datetime | None
    warehouses: dict[str, int] = field(default_factory=dict)


def fbt_stock_for(seller_id: int, keys: Iterable[SkuKey]) -> dict[SkuKey, FbtStockInfo]:
    """What the receivers know of these SKUs' FBT stock (a SKU nobody knows is missing)."""
    wanted = sorted(set(keys))
    found: dict[SkuKey, FbtStockInfo] = {}
    if not wanted:
        return found
    for _receiver, answer in fbt_stock.send(None, seller_id=seller_id, keys=wanted):
        found.update(answer or {})
    return found
