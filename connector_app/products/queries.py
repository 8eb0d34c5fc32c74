"""Reads for the Products page: tabs (filters) with counts, search, shop filter and paging."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal

from flask import request
from sqlalchemy import func, or_
from sqlalchemy.orm import contains_eager, selectinload

from connector_app.connect.models import TikTokShop
from connector_app.extensions import db
from connector_app.inputs import parse_id, parse_int
from connector_app.products import models as m
from connector_app.products import rules
from connector_app.products.mirror import price_rule, settings_for, stock_rule
from connector_app.products.signals import FbtStockInfo, fbt_stock_for
from connector_app.tenancy import for_seller

PAGE_SIZE = 50


@dataclass(frozen=True)
class Tab:
    key: str
    label: str
    help: str


TABS = (
    Tab("all", "All SKUs", "Every SKU of your TikTok products."),
    Tab(
        "unlinked",
        "Unlinked",
        "No Etsy match, a duplicate SKU, or unlinked by you: nothing is pushed to them.",
    ),
    Tab("differs", "Differs", "Linked SKUs whose TikTok title, price or stock differs from what Etsy says."),
    Tab(
        "errors",
        "Errors",
        "The last push failed, needs checking, waits for your confirmation, or TikTok's review failed.",
    ),
    Tab("fbt", "Fulfilled by TikTok", "Stock held in TikTok's warehouses: read-only, never pushed."),
)
TAB_KEYS = {t.key for t in TABS}


@dataclass
class Params:
    tab: str = "all"
    q: str = ""
    shop_id: int | None = None
    page: int = 1

    def args(self, **changes) -> dict:
        values = {"tab": self.tab, "q": self.q or None, "shop": self.shop_id, "page": self.page} | changes
        return {k: v for k, v in values.items() if v not in (None, "", 1) or k == "tab"}


def parse_params(shops: list[TikTokShop]) -> Params:
    tab = request.args.get("tab", "all")
    shop_id = parse_id(request.args.get("shop"))
    return Params(
        tab=tab if tab in TAB_KEYS else "all",
        q=(request.args.get("q") or "").strip()[:100],
        shop_id=shop_id if shop_id in {s.id for s in shops} else None,
        page=parse_int(request.args.get("page"), minimum=1, maximum=1_000_000) or 1,
    )


def _tab_filter(tab: str):  # noqa: ANN202
    if tab == "unlinked":
        return m.TikTokSku.link_state != m.LINKED
    if tab == "differs":
        return m.TikTokSku.differs.is_(True)
    if tab == "errors":
        return or_(
            m.TikTokSku.last_push_state.in_((m.FAILED, m.CHECK, m.HELD)),
            m.TikTokProduct.audit_status == "FAILED",
        )
    if tab == "fbt":
        return m.TikTokSku.is_fbt.is_(True)
    return None


def _base(seller_id: int, params: Params):  # noqa: ANN202
    query = for_seller(m.TikTokSku, seller_id).join(m.TikTokSku.product)
    if params.shop_id is not None:
        query = query.where(m.TikTokSku.tiktok_shop_id == params.shop_id)
    if params.q:
        like = f"%{params.q.lower()}%"
        query = query.where(
            or_(
                func.lower(m.TikTokSku.seller_sku).like(like),
                func.lower(m.TikTokProduct.title).like(like),
                m.TikTokSku.sku_id == params.q,
                m.TikTokProduct.product_id == params.q,
            )
        )
    return query


def counts(seller_id: int, params: Params) -> dict[str, int]:
    out = {}
    for tab in TABS:
        query = _base(seller_id, params)
        condition = _tab_filter(tab.key)
        if condition is not None:
            query = query.where(condition)
        out[tab.key] = db.session.scalar(query.with_only_columns(func.count(m.TikTokSku.id))) or 0
    return out


@dataclass
class Row:
    sku: m.TikTokSku
    etsy_target_price: Decimal | None = None
    etsy_target_stock: int | None = None
    price_note: str | None = None
    diffs: list[str] = field(default_factory=list)
    fbt: FbtStockInfo | None = None  # an FBT SKU's stock in TikTok's warehouses (orders keeps it)


@dataclass
class Page:
    rows: list[Row]
    number: int
    pages: int
    total: int


def page(seller_id: int, params: Params, total: int) -> Page:
    pages = max(1, math.ceil(total / PAGE_SIZE))
    number = min(params.page, pages)
    query = _base(seller_id, params)
    condition = _tab_filter(params.tab)
    if condition is not None:
        query = query.where(condition)
    skus = db.session.scalars(
        query.options(contains_eager(m.TikTokSku.product), selectinload(m.TikTokSku.etsy))
        .order_by(m.TikTokProduct.title, m.TikTokSku.seller_sku, m.TikTokSku.id)
        .limit(PAGE_SIZE)
        .offset((number - 1) * PAGE_SIZE)
    ).all()
    settings = {}
    rows = []
    for sku in skus:
        if sku.tiktok_shop_id not in settings:
            shop = db.session.get(TikTokShop, sku.tiktok_shop_id)
            settings[sku.tiktok_shop_id] = settings_for(shop)
        rows.append(_row(sku, settings[sku.tiktok_shop_id]))
    fbt = fbt_stock_for(seller_id, [(r.sku.tiktok_shop_id, r.sku.sku_id) for r in rows if r.sku.is_fbt])
    for row in rows:
        row.fbt = fbt.get((row.sku.tiktok_shop_id, row.sku.sku_id)) if row.sku.is_fbt else None
    return Page(rows, number, pages, total)


def _row(sku: m.TikTokSku, settings: m.ProductSyncSettings) -> Row:
    row = Row(sku)
    etsy = sku.etsy
    if etsy is None or sku.link_state != m.LINKED:
        return row
    try:
        row.etsy_target_price = rules.target_price(
            etsy.price, etsy.currency, sku.currency, price_rule(settings)
        )
    except rules.NotPushable as exc:
        row.price_note = str(exc)
    row.etsy_target_stock = rules.target_stock(etsy.quantity, stock_rule(settings))
    if etsy.title != sku.product.title:
        row.diffs.append("title")
    if row.etsy_target_price is not None and row.etsy_target_price != sku.price:
        row.diffs.append("price")
    if not sku.is_fbt and row.etsy_target_stock != sku.quantity:
        row.diffs.append("stock")
    return row


def shops(seller_id: int) -> list[TikTokShop]:
    return list(
        db.session.scalars(for_seller(TikTokShop, seller_id).order_by(TikTokShop.name, TikTokShop.id))
    )


def etsy_choices(seller_id: int, q: str) -> list[m.EtsyCatalogSku]:
    """Etsy SKUs to link a TikTok SKU to (search by SKU or title)."""
    query = for_seller(m.EtsyCatalogSku, seller_id).where(m.EtsyCatalogSku.gone.is_(False))
    if q:
        like = f"%{q.lower()}%"
        query = query.where(
            or_(func.lower(m.EtsyCatalogSku.sku).like(like), func.lower(m.EtsyCatalogSku.title).like(like))
        )
    return list(
        db.session.scalars(query.order_by(m.EtsyCatalogSku.sku, m.EtsyCatalogSku.listing_id).limit(50))
    )


def push_log(seller_id: int, limit: int = 200) -> list[m.PushRecord]:
    return list(
        db.session.scalars(
            for_seller(m.PushRecord, seller_id)
            .order_by(m.PushRecord.created_at.desc(), m.PushRecord.id.desc())
            .limit(limit)
        )
    )


def open_tasks(seller_id: int) -> list[m.PushRecord]:
    return list(
        db.session.scalars(
            for_seller(m.PushRecord, seller_id)
            .where(m.PushRecord.state.in_((m.CHECK, m.HELD)))
            .order_by(m.PushRecord.created_at)
            .limit(100)
        )
    )


__all__ = ["TABS", "Params", "counts", "page", "parse_params"]
