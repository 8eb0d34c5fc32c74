"""The only place that changes the products feature's data from a request: TikTok Shop Settings,
switching sync on after a preview, and the seller's own SKU links. Functions flush; the request
commits."""

from __future__ import annotations

from connector_app.accounts.preferences import stock_follows_sales
from connector_app.connect.models import TikTokShop
from connector_app.extensions import db
from connector_app.products import mirror
from connector_app.products import models as m
from connector_app.tenancy import get_for_seller
from connector_app.timeutil import utcnow

SWITCHES = {"sync_product_info": m.INFO, "sync_price": m.PRICE, "sync_inventory": m.INVENTORY}


class NotAllowed(Exception):
    """A setting the seller may not switch on now; ``str()`` says why."""


def settings_for_update(shop: TikTokShop) -> m.ProductSyncSettings:
    row = db.session.get(m.ProductSyncSettings, shop.id)
    if row is None or row.seller_id != shop.seller_id:
        row = mirror.settings_for(shop)
        db.session.add(row)
    return row


def save_settings(shop: TikTokShop, form) -> list[str]:  # noqa: ANN001 - a ShopSettingsForm
    """Save the rules and switch off what was unticked; return the fields the seller wants ON that are
    off now (they are switched on only after the preview is confirmed). Flushes."""
    row = settings_for_update(shop)
    row.price_mode = form.price_mode.data
    row.price_adjust = form.price_adjust.data
    row.price_rounding = form.price_rounding.data
    row.currency_rate = form.currency_rate.data
    row.max_price_change_percent = form.max_price_change_percent.data
    row.inventory_buffer = form.inventory_buffer.data
    row.inventory_percent = form.inventory_percent.data
    row.inventory_max = form.inventory_max.data
    row.warehouse_ids = list(form.warehouse_ids.data or [])
    row.interval_minutes = form.interval_minutes.data
    row.updated_at = utcnow()
    turning_on = []
    for name in SWITCHES:
        wanted = bool(form[name].data)
        if not wanted:
            setattr(row, name, False)
        elif not getattr(row, name):
            turning_on.append(name)
    db.session.flush()
    return turning_on


def switch_on(shop: TikTokShop, names: list[str]) -> m.ProductSyncSettings:
    """The seller confirmed the preview: these switches go on. Inventory only while Etsy's stock
    follows TikTok sales (otherwise a TikTok sale would not lower Etsy and the next push would undo it)."""
    row = settings_for_update(shop)
    if "sync_inventory" in names and stock_follows_sales(shop.seller_id) is None:
        raise NotAllowed(
            "Inventory sync can be switched on only while 'Etsy stock follows TikTok sales' is on "
            "(Settings): otherwise a TikTok sale would not lower Etsy's stock and the next push would "
            "put the sold unit back on TikTok."
        )
    for name in names:
        if name in SWITCHES:
            setattr(row, name, True)
    row.next_run_at = utcnow()
    row.updated_at = utcnow()
    db.session.flush()
    mirror.relink(shop)
    return row


def link(sku: m.TikTokSku, etsy: m.EtsyCatalogSku) -> None:
    _override(sku, etsy.listing_id, etsy.sku)


def unlink(sku: m.TikTokSku) -> None:
    _override(sku, None, None)


def reset_link(sku: m.TikTokSku) -> None:
    """Back to the automatic match by SKU."""
    row = get_for_seller(
        m.SkuLinkOverride, sku.seller_id, tiktok_shop_id=sku.tiktok_shop_id, sku_id=sku.sku_id
    )
    if row is not None:
        db.session.delete(row)
        db.session.flush()
    mirror.relink(sku.product.shop)


def _override(sku: m.TikTokSku, listing_id: str | None, etsy_sku: str | None) -> None:
    row = get_for_seller(
        m.SkuLinkOverride, sku.seller_id, tiktok_shop_id=sku.tiktok_shop_id, sku_id=sku.sku_id
    )
    if row is None:
        row = m.SkuLinkOverride(seller_id=sku.seller_id, tiktok_shop_id=sku.tiktok_shop_id, sku_id=sku.sku_id)
        db.session.add(row)
    row.etsy_listing_id, row.etsy_sku = listing_id, etsy_sku
    db.session.flush()
    mirror.relink(sku.product.shop)
