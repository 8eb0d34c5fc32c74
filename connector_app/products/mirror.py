"""Keep the catalog mirror: TikTok products/SKUs and Etsy SKUs stored idempotently, then every SKU of a
shop relinked (TikTok ``seller_sku`` = Etsy ``sku``, or the seller's own link) and its "differs" flag
recomputed. Services flush; the job commits.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, update

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


def _differs(row, etsy, title: str, settings: m.ProductSyncSettings) -> bool:  # noqa: ANN001 - rows
    """Whether TikTok's title, price or stock differs from what Etsy says after the shop's rules."""
    if title != etsy.title:
        return True
    try:
        if rules.target_price(etsy.price, etsy.currency, row.currency, price_rule(settings)) != row.price:
            return True
    except rules.NotPushable:
        pass
    return not row.is_fbt and rules.target_stock(etsy.quantity, stock_rule(settings)) != row.quantity


RELINK_BATCH = 1000


def relink(shop: TikTokShop) -> None:
    """Every SKU of the shop gets its link state, Etsy SKU and "differs" flag. Flushes.

    Reads plain rows in batches (each with the Etsy SKUs it can link to) and writes by primary key, so
    a shop of 50,000 SKUs costs about what one of 5,000 does in memory.
    """
    seller_id = shop.seller_id
    db.session.flush()
    e, t = m.EtsyCatalogSku, m.TikTokSku
    overrides = {
        o.sku_id: (o.etsy_listing_id, o.etsy_sku)
        for o in db.session.scalars(
            for_seller(m.SkuLinkOverride, seller_id).filter_by(tiktok_shop_id=shop.id)
        )
    }
    repeated = set(
        db.session.scalars(
            for_seller(t, seller_id)
            .where(t.tiktok_shop_id == shop.id, t.seller_sku != "")
            .with_only_columns(t.seller_sku)
            .group_by(t.seller_sku)
            .having(func.count() > 1)
        )
    )
    settings = settings_for(shop)
    last = 0
    while True:
        rows = db.session.execute(
            for_seller(t, seller_id)
            .join(m.TikTokProduct, m.TikTokProduct.id == t.product_pk)
            .where(t.tiktok_shop_id == shop.id, t.id > last)
            .with_only_columns(
                t.id, t.sku_id, t.seller_sku, t.price, t.currency, t.quantity, t.is_fbt, m.TikTokProduct.title
            )
            .order_by(t.id)
            .limit(RELINK_BATCH)
        ).all()
        if not rows:
            break
        last = rows[-1].id
        # The Etsy SKUs this batch can link to: by SKU, and the ones the seller chose by hand.
        wanted = {r.seller_sku for r in rows if r.seller_sku} | {
            o[1] for r in rows if (o := overrides.get(r.sku_id)) and o[1]
        }
        by_sku: dict[str, list[int]] = {}
        by_listing: dict[tuple[str, str], int] = {}
        details = {}
        if wanted:
            for found in db.session.execute(
                for_seller(e, seller_id)
                .where(e.gone.is_(False), e.sku.in_(wanted))
                .with_only_columns(e.id, e.sku, e.listing_id, e.title, e.price, e.currency, e.quantity)
            ):
                by_sku.setdefault(found.sku, []).append(found.id)
                by_listing[found.listing_id, found.sku] = found.id
                details[found.id] = found
        decided = []
        for row in rows:
            override = overrides.get(row.sku_id)
            etsy_id = None
            if override is not None:
                etsy_id = by_listing.get((override[0], override[1] or "")) if override[0] else None
                state = m.UNLINKED if override[0] is None else (m.LINKED if etsy_id else m.NO_MATCH)
            else:
                matches = by_sku.get(row.seller_sku, []) if row.seller_sku else []
                if row.seller_sku in repeated:
                    state = m.DUPLICATE_TIKTOK
                elif len(matches) > 1:
                    state = m.DUPLICATE_ETSY
                elif matches:
                    state, etsy_id = m.LINKED, matches[0]
                else:
                    state = m.NO_MATCH
            decided.append((row, state, etsy_id))
        db.session.execute(
            update(t),
            [
                {
                    "id": row.id,
                    "link_state": state,
                    "etsy_sku_pk": etsy_id,
                    "differs": bool(etsy_id) and _differs(row, details[etsy_id], row.title, settings),
                }
                for row, state, etsy_id in decided
            ],
        )
    for obj in list(db.session.identity_map.values()):  # what the session holds reads the new state
        if isinstance(obj, t):
            db.session.expire(obj)
