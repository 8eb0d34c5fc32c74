"""Product webhooks (``webhooks.signals.webhook_received``): 5 product status change, 15 product
information change, 37 audit status change. Each re-reads the one product from TikTok (the
deliveries carry no new status) and updates the Products page. A type-15 change made through the Open
API is our own push coming back: it is ignored, or the sync would loop.
"""

from __future__ import annotations

from connector_app.connect.clients import tiktok_client_for
from connector_app.marketplaces.errors import NotFound
from connector_app.marketplaces.tiktok.products import ProductApi
from connector_app.products import mirror
from connector_app.products import models as m
from connector_app.tenancy import get_for_seller
from connector_app.transactions import job_step

PRODUCT_STATUS_CHANGE, PRODUCT_INFORMATION_CHANGE, PRODUCT_AUDIT_STATUS_CHANGE = 5, 15, 37
TYPES = (PRODUCT_STATUS_CHANGE, PRODUCT_INFORMATION_CHANGE, PRODUCT_AUDIT_STATUS_CHANGE)


def on_webhook(event, *, shop, seller_id: int | None, **_) -> str | None:  # noqa: ANN001
    if event.event_type not in TYPES:
        return None
    data = event.payload.get("data") or {}
    product_id = data.get("product_id")
    if product_id is None or shop is None:
        return "ignored: no product or shop named"
    product_id = str(product_id)  # may arrive as a JSON number above 2**53: parsed exactly, kept as text
    if event.event_type == PRODUCT_INFORMATION_CHANGE and data.get("change_source") == "OPEN_API":
        return f"ignored: our own edit of product {product_id} (change_source OPEN_API)"
    known = get_for_seller(m.TikTokProduct, shop.seller_id, tiktok_shop_id=shop.id, product_id=product_id)
    api = ProductApi(tiktok_client_for(shop))
    try:
        product = api.get_product(product_id)
    except NotFound:
        with job_step():
            if known is not None:
                known.status = "DELETED"
        return f"product {product_id} is gone on TikTok"
    with job_step():
        settings = mirror.settings_for(shop)
        mirror.store_products(shop, [product], set(settings.fbt_warehouses or []))
        mirror.relink(shop)
    return f"product {product_id} re-read: {product.status}, review {product.audit_status or 'none'}"
