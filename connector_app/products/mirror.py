"""Keep the catalog mirror: TikTok products/SKUs and Etsy SKUs stored idempotently, then every SKU of a
shop relinked (TikTok ``seller_sku`` = Etsy ``sku``, or the seller's own link) and its "differs" flag
recomputed. Services flush; the job commits.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from connector_app.connect.models import EtsyConnection, TikTokShop
from connector_app.extensions import db
from connector_app.marketplaces.etsy.catalog import CatalogListing
from connector_app.marketplaces.tiktok.products import Product
from connector_app.products import models as m
from connector_app.products import rules
from connector_app.tenancy import for_seller
from connector_app.timeutil import utcnow


def store_products(shop: TikTokShop, products: Iterable[Product], fbt_warehouses: set[str]) -> int:
    """Upsert TikTok products and their SKUs; a SKU TikTok no longer lists leaves the mirror."""
    count = 0
    for product in products:
        row = db.session.scalars(
            for_seller(m.TikTokProduct, shop.seller_id).filter_by(
                tiktok_shop_id=shop.id, product_id=product.id
            )
        ).first()
        if row is None:
            row = m.TikTokProduct(seller_id=shop.seller_id, tiktok_shop_id=shop.id, product_id=product.id)
            db.session.add(row)
        row.title = product.title[:512]
        row.status = product.status
        row.audit_status = product.audit_status or row.audit_status
        if product.audit_failed_reasons:
            row.audit_failed = "; ".join(product.audit_failed_reasons)
        elif product.audit_status == "APPROVED":
            row.audit_failed = None
        row.update_time = product.update_time
        row.refreshed_at = utcnow()
        current = {s.sku_id: s for s in row.skus}
        for sku in product.skus:
            mirror = current.pop(sku.id, None)
            if mirror is None:
                mirror = m.TikTokSku(seller_id=shop.seller_id, tiktok_shop_id=shop.id, sku_id=sku.id)
                row.skus.append(mirror)
            mirror.seller_sku = sku.seller_sku[:128]
            mirror.price = sku.price
            mirror.currency = sku.currency
            mirror.quantity = sku.quantity
            mirror.warehouse_stock = dict(sku.inventory)
            mirror.is_fbt = bool(set(sku.warehouse_ids) & fbt_warehouses)
        for gone in current.values():
            row.skus.remove(gone)
        count += 1
    db.session.flush()
    return count


def store_etsy_listings(connection: EtsyConnection, listings: Iterable[CatalogListing]) -> int:
    """Upsert the SKUs of these Etsy listings (keyed by listing and SKU, never by Etsy's product ids);
    a SKU that left a listing is marked gone (it sets nothing any more)."""
    count = 0
    for listing in listings:
        rows = {
            r.sku: r
            for r in db.session.scalars(
                for_seller(m.EtsyCatalogSku, connection.seller_id).filter_by(
                    etsy_connection_id=connection.id, listing_id=listing.listing_id
                )
            )
        }
        for sku in listing.skus:
            row = rows.pop(sku.sku, None)
            if row is None:
                row = m.EtsyCatalogSku(
                    seller_id=connection.seller_id,
                    etsy_connection_id=connection.id,
                    listing_id=listing.listing_id,
                    sku=sku.sku[:128],
                )
                db.session.add(row)
            row.title = listing.title[:512]
            row.description = listing.description
            row.state = listing.state
            row.url = listing.url or None
            row.price = sku.price
            row.currency = sku.currency or listing.currency
            row.quantity = sku.quantity if sku.enabled else 0
            row.listing_updated = listing.updated
            row.gone = listing.state not in ("active", "sold_out")  # sold out: stock 0 still follows
        if listing.has_inventory:
            for gone in rows.values():
                gone.gone = True
        count += 1
    db.session.flush()
    return count


def mark_missing_listings(connection: EtsyConnection, seen_listing_ids: set[str]) -> int:
    """After a full read: Etsy SKUs of listings Etsy no longer lists as active are marked gone."""
    rows = db.session.scalars(
        for_seller(m.EtsyCatalogSku, connection.seller_id).filter_by(
            etsy_connection_id=connection.id, gone=False
        )
    ).all()
    missing = [r for r in rows if r.listing_id not in seen_listing_ids]
    for row in missing:
        row.gone = True
    db.session.flush()
    return len(missing)


def settings_for(shop: TikTokShop) -> m.ProductSyncSettings:
    """The shop's settings row, or unsaved defaults (all off)."""
    row = db.session.get(m.ProductSyncSettings, shop.id)
    if row is not None and row.seller_id == shop.seller_id:
        return row
    return m.ProductSyncSettings(
        seller_id=shop.seller_id,
        tiktok_shop_id=shop.id,
        sync_product_info=False,
        sync_price=False,
        sync_inventory=False,
        price_mode="percent",
        price_adjust=0,
        price_rounding="none",
        max_price_change_percent=50,
        inventory_buffer=0,
        inventory_percent=100,
        warehouse_ids=[],
        interval_minutes=15,
        known_warehouses=[],
        fbt_warehouses=[],
    )


def price_rule(settings: m.ProductSyncSettings) -> rules.PriceRule:
    return rules.PriceRule(
        settings.price_mode or "percent",
        settings.price_adjust or 0,
        settings.price_rounding or "none",
        settings.currency_rate,
    )


def stock_rule(settings: m.ProductSyncSettings) -> rules.StockRule:
    return rules.StockRule(
        settings.inventory_buffer or 0,
        settings.inventory_max,
        100 if settings.inventory_percent is None else settings.inventory_percent,
    )


def _differs(sku: m.TikTokSku, settings: m.ProductSyncSettings) -> bool:
    etsy = sku.etsy
    if etsy is None or etsy.gone:
        return False
    if sku.product.title != etsy.title:
        return True
    try:
        if rules.target_price(etsy.price, etsy.currency, sku.currency, price_rule(settings)) != sku.price:
            return True
    except rules.NotPushable:
        pass
    return not sku.is_fbt and rules.target_stock(etsy.quantity, stock_rule(settings)) != sku.quantity


def relink(shop: TikTokShop) -> None:
    """Every SKU of the shop gets its link state, Etsy SKU and "differs" flag. Flushes."""
    seller_id = shop.seller_id
    skus = db.session.scalars(for_seller(m.TikTokSku, seller_id).filter_by(tiktok_shop_id=shop.id)).all()
    etsy_rows = db.session.scalars(for_seller(m.EtsyCatalogSku, seller_id).filter_by(gone=False)).all()
    by_sku: dict[str, list[m.EtsyCatalogSku]] = {}
    for row in etsy_rows:
        by_sku.setdefault(row.sku, []).append(row)
    by_listing = {(r.listing_id, r.sku): r for r in etsy_rows}
    overrides = {
        o.sku_id: o
        for o in db.session.scalars(
            for_seller(m.SkuLinkOverride, seller_id).filter_by(tiktok_shop_id=shop.id)
        )
    }
    tiktok_counts = Counter(s.seller_sku for s in skus if s.seller_sku)
    settings = settings_for(shop)
    for sku in skus:
        override = overrides.get(sku.sku_id)
        etsy: m.EtsyCatalogSku | None = None
        if override is not None:
            if override.etsy_listing_id is None:
                state = m.UNLINKED
            else:
                etsy = by_listing.get((override.etsy_listing_id, override.etsy_sku or ""))
                state = m.LINKED if etsy is not None else m.NO_MATCH
        else:
            matches = by_sku.get(sku.seller_sku, []) if sku.seller_sku else []
            if tiktok_counts[sku.seller_sku] > 1:
                state = m.DUPLICATE_TIKTOK
            elif len(matches) > 1:
                state = m.DUPLICATE_ETSY
            elif matches:
                state, etsy = m.LINKED, matches[0]
            else:
                state = m.NO_MATCH
        sku.link_state = state
        sku.etsy_sku_pk = etsy.id if etsy is not None else None
        sku.etsy = etsy
        sku.differs = state == m.LINKED and _differs(sku, settings)
    db.session.flush()
