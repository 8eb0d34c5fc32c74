"""getListing and updateListing's ``state``: the two calls the order stock writer needs beyond inventory.

Etsy refuses an inventory whose offerings are all 0 ("One offering must have quantity greater than 0",
reference ``etsy-catalog-orders.md`` §3): when a TikTok sale takes a listing's last units, the listing is
deactivated instead (``state=inactive``) and reactivated when stock returns. Setting a state is
idempotent, so unlike a quantity write it may be repeated safely.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..types import to_optional_int
from . import parsing
from .types import Listing

if TYPE_CHECKING:
    from .client import EtsyClient

ACTIVE, INACTIVE = "active", "inactive"


@dataclass(frozen=True)
class ListingState:
    listing: Listing
    # ``last_modified_timestamp`` (= ``updated_timestamp``): Etsy moves it on every inventory write, so
    # an unchanged value (with unchanged quantities) shows a write did not land.
    updated: int | None


def get_listing(client: EtsyClient, listing_id: str) -> ListingState:
    data = client._object("GET", f"/v3/application/listings/{int(listing_id)}")
    updated = data.get("last_modified_timestamp", data.get("updated_timestamp"))
    return ListingState(listing=parsing.listing(data), updated=to_optional_int(updated))


def set_listing_state(client: EtsyClient, shop_id: str, listing_id: str, state: str) -> Listing:
    if state not in (ACTIVE, INACTIVE):
        raise ValueError("state must be active or inactive")
    path = f"/v3/application/shops/{int(shop_id)}/listings/{int(listing_id)}"
    return parsing.listing(client._object("PATCH", path, body={"state": state}))
