"""The Etsy listings cache: refresh from Etsy, and look listings up by SKU."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import case, distinct, func, select
from sqlalchemy.orm import selectinload

from connector_app.connect.clients import etsy_client_for
from connector_app.connect.models import CONNECTED, EtsyConnection
from connector_app.extensions import db
from connector_app.listings.models import EtsyListing, EtsyListingSku, ListingRefresh
from connector_app.marketplaces.etsy.types import Listing
from connector_app.returns.models import ReturnLineItem
from connector_app.tenancy import for_seller, get_for_seller
from connector_app.timeutil import utcnow

# Listing states worth knowing: a sold-out listing is exactly the one a restock brings back.
STATES = ("active", "sold_out", "inactive")


def listings_for_skus(seller_id: int, skus: Iterable[str]) -> dict[str, EtsyListing]:
    """``{sku: EtsyListing}`` for the seller's SKUs found on Etsy (one indexed query; ``.url`` links it)."""
    wanted = {s for s in skus if s}
    if not wanted:
        return {}
    rows = db.session.execute(
        select(EtsyListingSku.sku, EtsyListing)
        .join(EtsyListing, EtsyListing.id == EtsyListingSku.listing_pk)
        .where(EtsyListingSku.seller_id == seller_id, EtsyListingSku.sku.in_(wanted))
        .where(EtsyListing.seller_id == seller_id)
        .order_by(EtsyListing.state != "active", EtsyListing.id)  # prefer an active listing
    ).all()
    found: dict[str, EtsyListing] = {}
    for sku, listing in rows:
        found.setdefault(sku, listing)
    return found


def connected_etsy(seller_id: int) -> EtsyConnection | None:
    return db.session.scalars(
        for_seller(EtsyConnection, seller_id)
        .where(EtsyConnection.status == CONNECTED)
        .order_by(EtsyConnection.id)
        .limit(1)
    ).first()


def forget_listings(connection: EtsyConnection) -> int:
    """Remove a replaced Etsy shop's listings (and when they were fetched) from the cache, so no SKU
    links to it or restocks it any more. Flushes; returns how many listings went."""
    listings = db.session.scalars(
        for_seller(EtsyListing, connection.seller_id).where(EtsyListing.etsy_connection_id == connection.id)
    ).all()
    for listing in listings:
        db.session.delete(listing)
    refresh = get_for_seller(ListingRefresh, connection.seller_id, etsy_connection_id=connection.id)
    if refresh is not None:
        db.session.delete(refresh)
    db.session.flush()
    return len(listings)


@dataclass(frozen=True)
class SkuMatch:
    """How many distinct SKUs of the seller's TikTok requests match the cached Etsy listings."""

    matched: int
    total: int


def sku_match(seller_id: int) -> SkuMatch:
    """One statement over the request items' SKUs (index on seller, SKU) and the listings' SKUs."""
    listed = for_seller(EtsyListingSku, seller_id).with_only_columns(EtsyListingSku.sku).distinct().subquery()
    query = (
        for_seller(ReturnLineItem, seller_id)
        .outerjoin(listed, listed.c.sku == ReturnLineItem.seller_sku)
        .where(ReturnLineItem.seller_sku.is_not(None), ReturnLineItem.seller_sku != "")
        .with_only_columns(
            func.count(distinct(ReturnLineItem.seller_sku)),
            func.count(distinct(case((listed.c.sku.is_not(None), ReturnLineItem.seller_sku)))),
        )
    )
    total, matched = db.session.execute(query).one()
    return SkuMatch(int(matched or 0), int(total or 0))


def refresh_state(connection: EtsyConnection) -> ListingRefresh:
    row = get_for_seller(ListingRefresh, connection.seller_id, etsy_connection_id=connection.id)
    if row is None:
        row = ListingRefresh(
            seller_id=connection.seller_id, etsy_connection_id=connection.id, listing_count=0
        )
        db.session.add(row)
        db.session.flush()
    return row


def store_listings(connection: EtsyConnection, fetched: list[tuple[Listing, dict[str, int | None]]]) -> int:
    """Replace the cache of one Etsy shop with ``fetched`` (listing, {sku: quantity}). Flushes."""
    existing = {
        row.listing_id: row
        for row in db.session.scalars(
            for_seller(EtsyListing, connection.seller_id)
            .where(EtsyListing.etsy_connection_id == connection.id)
            .options(selectinload(EtsyListing.skus))
        )
    }
    now = utcnow()
    seen: set[str] = set()
    for listing, sku_quantities in fetched:
        seen.add(listing.listing_id)
        row = existing.get(listing.listing_id)
        if row is None:
            row = EtsyListing(
                seller_id=connection.seller_id,
                etsy_connection_id=connection.id,
                listing_id=listing.listing_id,
            )
            db.session.add(row)
        row.title = listing.title[:512]
        row.state = listing.state or "active"
        row.url = listing.url or None
        row.quantity = listing.quantity
        row.price = listing.price
        row.currency = listing.currency or None
        row.refreshed_at = now
        current = {s.sku: s for s in row.skus}
        for sku, quantity in sku_quantities.items():
            if sku in current:
                current.pop(sku).quantity = quantity
            else:
                row.skus.append(EtsyListingSku(seller_id=connection.seller_id, sku=sku, quantity=quantity))
        for gone in current.values():
            row.skus.remove(gone)
    for listing_id, row in existing.items():
        if listing_id not in seen:
            db.session.delete(row)
    db.session.flush()
    return len(seen)


def fetch_listings(connection: EtsyConnection) -> list[tuple[Listing, dict[str, int | None]]]:
    """Every listing of the shop with each SKU's stock (one inventory read per listing that has SKUs)."""
    client = etsy_client_for(connection)
    fetched = []
    for state in STATES:
        for listing in client.iter_listings(connection.etsy_shop_id, state=state):
            skus = [s for s in listing.skus if s]
            quantities: dict[str, int | None] = {}
            if skus:
                inventory = client.get_listing_inventory(listing.listing_id)
                quantities = {s: inventory.quantity_of(s) for s in inventory.skus if s}
            fetched.append((listing, quantities))
    return fetched


def refresh_listings(connection: EtsyConnection) -> int:
    """Fetch the shop's listings from Etsy and store them; returns how many. Flushes; caller commits."""
    state = refresh_state(connection)
    state.started_at = utcnow()
    fetched = fetch_listings(connection)
    count = store_listings(connection, fetched)
    state.refreshed_at = utcnow()
    state.listing_count = count
    state.error = None
    db.session.flush()
    return count
