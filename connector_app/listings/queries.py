"""Links from a returned item to the seller's matching Etsy listing (by SKU): one query per page."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import bindparam

from connector_app.extensions import db
from connector_app.listings.models import EtsyListing, EtsyListingSku
from connector_app.tenancy import SELLER, seller_param, table_for_seller

ETSY_LISTING_URL = "https://www.etsy.com/listing/{}"


# Built once (every grid page runs it): the seller is the ``SELLER`` parameter, the SKUs ``skus``.
_SKUS, _LISTINGS = EtsyListingSku.__table__, EtsyListing.__table__
_LISTING_URLS = (
    table_for_seller(_SKUS, SELLER)
    .join(_LISTINGS, _LISTINGS.c.id == _SKUS.c.listing_pk)
    .where(_SKUS.c.sku.in_(bindparam("skus", expanding=True)), _LISTINGS.c.seller_id == SELLER)
    .with_only_columns(_SKUS.c.sku, _LISTINGS.c.listing_id, _LISTINGS.c.url, _LISTINGS.c.state)
    .order_by(_SKUS.c.sku, (_LISTINGS.c.state == "active").desc(), _LISTINGS.c.id)
)


def listing_urls(seller_id: int, skus: Iterable[str]) -> dict[str, str]:
    """``{seller SKU: Etsy listing URL}`` for the SKUs that match one of the seller's cached listings."""
    wanted = sorted({sku for sku in skus if sku})
    if not wanted:
        return {}
    urls: dict[str, str] = {}
    values = {**seller_param(seller_id), "skus": wanted}
    for sku, listing_id, url, _state in db.session.execute(_LISTING_URLS, values):
        urls.setdefault(sku, url or ETSY_LISTING_URL.format(listing_id))
    return urls


def sku_links(_sender, *, seller_id: int, skus: Iterable[str], **_) -> dict[str, str]:
    """``returns.signals.sku_links`` answer: the returns pages link each SKU to its Etsy listing."""
    return listing_urls(seller_id, skus)
