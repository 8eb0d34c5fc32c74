"""Reading an Etsy shop's catalog cheaply: listings with their inventory, 100 at a time, newest change
first, stopping at a high-water mark.

Etsy has no "modified since" filter (EOA#301): ``sort_on=updated&sort_order=desc`` with
``includes=Inventory`` gives each listing's SKUs, per-SKU prices and quantities in the same call, and
the read stops once a page reaches listings older than the last read's high-water mark (minus an
overlap, since the order is not strictly monotonic, EOA#906). SKUs are keyed by ``sku``, never by
product or offering id: Etsy issues new ones on every inventory update.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..types import to_int
from . import parsing
from .client import V3, EtsyClient, _seg

PAGE = 100
OVERLAP_SECONDS = 120


@dataclass(frozen=True)
class EtsySku:
    sku: str
    price: Decimal | None
    currency: str
    quantity: int  # sum of the enabled offerings
    enabled: bool


@dataclass(frozen=True)
class CatalogListing:
    listing_id: str
    title: str
    description: str
    state: str
    url: str
    updated: int  # last_modified_timestamp (unix s)
    skus: tuple[EtsySku, ...]
    currency: str
    has_inventory: bool


def _skus(inventory: Mapping[str, Any] | None) -> tuple[tuple[EtsySku, ...], bool]:
    if not isinstance(inventory, Mapping) or not isinstance(inventory.get("products"), list):
        return (), False
    skus = []
    for product in inventory["products"]:
        if product.get("is_deleted") or not product.get("sku"):
            continue
        offerings = [o for o in product.get("offerings") or () if not o.get("is_deleted")]
        enabled = [o for o in offerings if o.get("is_enabled", True)]
        price, currency = parsing.money((enabled or offerings or [{}])[0].get("price"))
        skus.append(
            EtsySku(
                sku=str(product["sku"]),
                price=price,
                currency=currency,
                quantity=sum(to_int(o.get("quantity")) for o in enabled),
                enabled=bool(enabled),
            )
        )
    return tuple(skus), True


def catalog_listing(data: Mapping[str, Any]) -> CatalogListing:
    base = parsing.listing(data)
    skus, has_inventory = _skus(data.get("inventory"))
    updated = data.get("last_modified_timestamp") or data.get("updated_timestamp")
    return CatalogListing(
        listing_id=base.listing_id,
        title=base.title,
        description=str(data.get("description") or ""),
        state=base.state,
        url=base.url,
        updated=to_int(updated),
        skus=skus,
        currency=base.currency,
        has_inventory=has_inventory,
    )


def listings_page(
    client: EtsyClient, shop_id: str, *, state: str = "active", offset: int = 0
) -> tuple[list[CatalogListing], int | None]:
    """One page of listings with inventory, most recently changed first: (listings, total count)."""
    params = {
        "state": state,
        "limit": PAGE,
        "offset": offset,
        "sort_on": "updated",
        "sort_order": "desc",
        "includes": "Inventory",
    }
    data = client._object("GET", f"{V3}/shops/{_seg(shop_id)}/listings", params=params)
    results = data.get("results") or []
    count = data.get("count")
    return [catalog_listing(r) for r in results], (to_int(count) if count is not None else None)


def changed_listings(
    client: EtsyClient,
    shop_id: str,
    *,
    since: int | None,
    state: str = "active",
    on_total: Callable[[int], None] | None = None,
) -> Iterator[CatalogListing]:
    """Listings of ``state`` changed at or after ``since - OVERLAP`` (all of them when ``since`` is None);
    stops at the first page that reaches older listings. ``on_total`` hears how many listings of
    ``state`` the shop has (Etsy's ``count`` on the first page)."""
    floor = None if since is None else since - OVERLAP_SECONDS
    offset = 0
    while True:
        listings, total = listings_page(client, shop_id, state=state, offset=offset)
        if offset == 0 and on_total is not None and total is not None:
            on_total(total)
        for listing in listings:
            if floor is not None and listing.updated < floor:
                return
            yield listing
        offset += len(listings)
        if not listings or (total is not None and offset >= total):
            return


def get_listing(client: EtsyClient, listing_id: str) -> CatalogListing:
    """One listing with its inventory (``includes=Inventory``)."""
    data = client._object("GET", f"{V3}/listings/{_seg(listing_id)}", params={"includes": "Inventory"})
    return catalog_listing(data)


__all__ = ["CatalogListing", "EtsySku", "changed_listings", "get_listing", "listings_page"]
