"""Links from a returned item to the seller's matching Etsy listing (by SKU): one query per page."""

from __future__ import annotations

from collections.abc import Iterable

from connector_app.extensions import db
from connector_app.listings.models import EtsyListing, EtsyListingSku
from connector_app.tenancy import for_seller

ETSY_LISTING_URL = "https://www.etsy.com/listing/{}"


def listing_urls(seller_id: int, skus: Iterable[str]) -> dict[str, str]:
    """``{seller SKU: Etsy listing URL}`` for the SKUs that match one of the seller's cached listings."""
    wanted = sorted({sku for sku in skus if sku})
    if not wanted:
        return {}
    query = (
        for_seller(EtsyListingSku, seller_id)
        .join(EtsyListing, EtsyListing.id == EtsyListingSku.listing_pk)
        .where(EtsyListingSku.sku.in_(wanted), EtsyListing.seller_id == seller_id)
        .with_only_columns(EtsyListingSku.sku, EtsyListing.listing_id, EtsyListing.url, EtsyListing.state)
        .order_by(EtsyListingSku.sku, (EtsyListing.state == "active").desc(), EtsyListing.id)
    )
    urls: dict[str, str] = {}
    for sku, listing_id, url, _state in db.session.execute(query):
        urls.setdefault(sku, url or ETSY_LISTING_URL.format(listing_id))
    return urls


def sku_links(_sender, *, seller_id: int, skus: Iterable[str], **_) -> dict[str, str]:
    """``returns.signals.sku_links`` answer: the returns pages link each SKU to its Etsy listing."""
    return listing_urls(seller_id, skus)
