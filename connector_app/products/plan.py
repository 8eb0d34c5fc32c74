"""What a push would change, per product and SKU: the preview shows it, the push sends it.

Only linked SKUs whose Etsy listing was read and is still active set anything; price and stock only
for live (ACTIVATE) products; stock never for Fulfilled-by-TikTok SKUs, and only while Etsy's stock
follows TikTok sales (``accounts.preferences.stock_follows_sales``).
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import selectinload

from connector_app.accounts.preferences import stock_follows_sales
from connector_app.connect.models import TikTokShop
from connector_app.extensions import db
from connector_app.products import models as m
from connector_app.products import rules
from connector_app.products.mirror import price_rule, stock_rule
from connector_app.tenancy import for_seller

LIVE = "ACTIVATE"


@dataclass
class Change:
    sku: m.TikTokSku
    field: str
    before: str
    after: str
    target: Any = None
    change_key: str = ""
    skip: str | None = None  # why it is not pushed
    held: bool = False  # a price jump above the limit: waits for the seller


@dataclass
class ProductPlan:
    product: m.TikTokProduct
    changes: list[Change] = field(default_factory=list)

    def of(self, name: str) -> list[Change]:
        return [c for c in self.changes if c.field == name and c.skip is None]


def description_html(text: str) -> str:
    """Etsy descriptions are plain text; TikTok wants HTML (escaped, one paragraph per blank line)."""
    paragraphs = [p.strip() for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]
    return "".join("<p>" + html.escape(p).replace("\n", "<br>") + "</p>" for p in paragraphs)[:10_000]


def _price(sku: m.TikTokSku, settings: m.ProductSyncSettings, product: m.TikTokProduct) -> Change | None:
    etsy = sku.etsy
    try:
        target = rules.target_price(etsy.price, etsy.currency, sku.currency, price_rule(settings))
    except rules.NotPushable as exc:
        return Change(sku, m.PRICE, _money(sku.price), "—", skip=str(exc))
    if target == sku.price:
        return None
    change = Change(
        sku, m.PRICE, _money(sku.price), _money(target), target, f"{etsy.listing_updated}:{target}"
    )
    if product.status != LIVE:
        change.skip = f"TikTok takes price changes only for live products (this one is {_status(product)})"
    jump = rules.price_jump(sku.price, target)
    if jump is not None and jump > settings.max_price_change_percent:
        change.held = True
    return change


def _stock(sku: m.TikTokSku, settings: m.ProductSyncSettings, product: m.TikTokProduct) -> Change | None:
    total = rules.target_stock(sku.etsy.quantity, stock_rule(settings))
    if total == sku.quantity:
        return None
    change = Change(sku, m.INVENTORY, str(sku.quantity), str(total))
    if sku.is_fbt:
        change.skip = "Fulfilled by TikTok: TikTok's warehouse holds this stock (read-only)"
        return change
    if product.status != LIVE:
        change.skip = f"TikTok takes stock changes only for live products (this one is {_status(product)})"
        return change
    try:
        split = rules.split_stock(total, dict(sku.warehouse_stock or {}), list(settings.warehouse_ids or []))
    except rules.NotPushable as exc:
        change.skip = str(exc)
        return change
    change.target = split
    change.change_key = f"{sku.etsy.listing_updated}:" + ",".join(
        f"{w}={q}" for w, q in sorted(split.items())
    )
    return change


def _info(product: m.TikTokProduct, linked: list[m.TikTokSku]) -> Change | None:
    etsy = linked[0].etsy
    if etsy.title == product.title:
        return None
    change = Change(linked[0], m.INFO, product.title, etsy.title)
    change.target = (etsy.title, description_html(etsy.description))
    change.change_key = f"{etsy.listing_updated}:{etsy.title}"[:200]
    if product.status in ("FREEZE", "DELETED"):
        change.skip = f"TikTok takes no edits of a {product.status.lower()} product"
    elif product.audit_status == "AUDITING":
        change.skip = "an edit is in TikTok's review: the live version stays until TikTok approves it"
    return change


def _status(product: m.TikTokProduct) -> str:
    return m.STATUS_LABELS.get(product.status, (product.status or "unknown").lower())


def _money(value: Decimal | None) -> str:
    return "—" if value is None else f"{value:.2f}"


PLAN_BATCH = 200


def plan_shop(
    shop: TikTokShop, settings: m.ProductSyncSettings, fields: set[str] | None = None
) -> list[ProductPlan]:
    """The changes of every product of the shop for ``fields`` (default: the fields switched on)."""
    return list(iter_plans(shop, settings, fields))


def iter_plans(
    shop: TikTokShop,
    settings: m.ProductSyncSettings,
    fields: set[str] | None = None,
    compared: list[int] | None = None,
) -> Iterator[ProductPlan]:
    """The same, product by product, reading 200 products at a time (the push holds one batch).
    ``compared``: a one-item counter of the products compared so far (a run's progress reads it)."""
    if fields is None:
        fields = {
            name
            for name, on in (
                (m.PRICE, settings.sync_price),
                (m.INVENTORY, settings.sync_inventory),
                (m.INFO, settings.sync_product_info),
            )
            if on
        }
    if m.INVENTORY in fields and stock_follows_sales(shop.seller_id) is None:
        fields = fields - {m.INVENTORY}
    if not fields:
        return
    last = 0
    while True:
        products = db.session.scalars(
            for_seller(m.TikTokProduct, shop.seller_id)
            .where(m.TikTokProduct.tiktok_shop_id == shop.id, m.TikTokProduct.id > last)
            .options(selectinload(m.TikTokProduct.skus).selectinload(m.TikTokSku.etsy))
            .order_by(m.TikTokProduct.id)
            .limit(PLAN_BATCH)
        ).all()
        if not products:
            return
        last = products[-1].id
        for product in products:
            plan = _plan(product, settings, fields)
            if compared is not None:
                compared[0] += 1
            if plan is not None:
                yield plan


def _plan(product: m.TikTokProduct, settings: m.ProductSyncSettings, fields: set[str]) -> ProductPlan | None:
    linked = [s for s in product.skus if s.link_state == m.LINKED and s.etsy is not None and not s.etsy.gone]
    if not linked:
        return None
    plan = ProductPlan(product)
    for sku in linked:
        if m.PRICE in fields and (change := _price(sku, settings, product)) is not None:
            plan.changes.append(change)
        if m.INVENTORY in fields and (change := _stock(sku, settings, product)) is not None:
            plan.changes.append(change)
    if m.INFO in fields and (change := _info(product, linked)) is not None:
        plan.changes.append(change)
    return plan if plan.changes else None
