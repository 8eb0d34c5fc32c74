"""TikTok Shop Product API: search, detail, warehouses, price, inventory and partial edit.

A thin layer over :class:`TikTokClient` (its signing, retries, rate limit and typed errors), returning
plain typed data. The traps of the reference are handled here, once:

- Search Products answers at most 10,000 results per query: :meth:`ProductApi.iter_products` splits
  the ``update_time`` window in halves until each part is under the cap.
- Update Inventory must name every warehouse of the SKU and reports per-SKU failures inside
  ``code: 0`` (``data.errors``): :meth:`update_inventory` returns them as :class:`SkuFailure`.
- Partial Edit deletes every SKU left out of ``skus``: :meth:`partial_edit` never sends ``skus``.
- Product and SKU ids can arrive as JSON numbers above 2**53: they are kept as exact strings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from ..errors import MarketplaceError
from ..types import to_decimal, to_id, to_int
from .client import TikTokClient

SEARCH_PATH = "/product/202502/products/search"
PRODUCT_PATH = "/product/202309/products"
EDIT_PATH = "/product/202509/products"
INVENTORY_SEARCH_PATH = "/product/202309/inventory/search"
WAREHOUSES_PATH = "/logistics/202309/warehouses"
FBT_WAREHOUSES_PATH = "/fbt/202408/warehouses"

SEARCH_CAP = 10_000  # Search Products never returns more than this for one query (12052180)
TOO_MANY_RESULTS = 12052180
MAX_STOCK = 99_999  # per warehouse (reference §1.4)
MAX_SKUS_PER_CALL = 100
SUCCESS_LIVE = "ACTIVATE"


@dataclass(frozen=True)
class ProductSku:
    id: str
    seller_sku: str
    price: Decimal | None
    currency: str
    inventory: tuple[tuple[str, int], ...]  # (warehouse_id, quantity)
    status: str = "NORMAL"

    @property
    def quantity(self) -> int:
        return sum(q for _, q in self.inventory)

    @property
    def warehouse_ids(self) -> tuple[str, ...]:
        return tuple(w for w, _ in self.inventory)


@dataclass(frozen=True)
class Product:
    id: str
    title: str
    status: str
    update_time: int
    skus: tuple[ProductSku, ...]
    audit_status: str = ""
    description: str | None = None  # Get Product only (not in search results)
    audit_failed_reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class Warehouse:
    id: str
    name: str
    type: str
    effect_status: str
    is_default: bool

    @property
    def is_sales(self) -> bool:
        return self.type == "SALES_WAREHOUSE"


@dataclass(frozen=True)
class SkuFailure:
    sku_id: str
    code: str
    message: str
    warehouse_errors: tuple[tuple[str, str, str], ...] = ()  # (warehouse_id, code, message)

    def reason(self) -> str:
        parts = [f"{self.message} ({self.code})"]
        parts += [f"warehouse {w}: {m} ({c})" for w, c, m in self.warehouse_errors]
        return "; ".join(parts)


@dataclass(frozen=True)
class UpdateResult:
    """What a write answered: ``failures`` are per-SKU refusals inside a ``code: 0`` answer."""

    request_id: str | None
    failures: tuple[SkuFailure, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def failed(self, sku_id: str) -> SkuFailure | None:
        return next((f for f in self.failures if f.sku_id == sku_id), None)


class SearchCapExceeded(MarketplaceError):
    """More than 10,000 products changed within one second: no window can be split further."""


def _sku(raw: Mapping[str, Any]) -> ProductSku:
    price = raw.get("price") or {}
    inventory = tuple(
        (to_id(item.get("warehouse_id")), to_int(item.get("quantity"))) for item in raw.get("inventory") or ()
    )
    status = (raw.get("status_info") or {}).get("status") or "NORMAL"
    return ProductSku(
        id=to_id(raw.get("id")),
        seller_sku=str(raw.get("seller_sku") or ""),
        price=to_decimal(price.get("sale_price") or price.get("tax_exclusive_price")),
        currency=str(price.get("currency") or ""),
        inventory=inventory,
        status=str(status),
    )


def parse_product(raw: Mapping[str, Any]) -> Product:
    audit = raw.get("audit") or {}
    reasons = tuple(
        "; ".join(str(r) for r in item.get("reasons") or ())
        for item in raw.get("audit_failed_reasons") or ()
        if item.get("reasons")
    )
    description = raw.get("description")
    return Product(
        id=to_id(raw.get("id")),
        title=str(raw.get("title") or ""),
        status=str(raw.get("status") or ""),
        update_time=to_int(raw.get("update_time")),
        skus=tuple(_sku(s) for s in raw.get("skus") or ()),
        audit_status=str(audit.get("status") or ""),
        description=None if description is None else str(description),
        audit_failed_reasons=reasons,
    )


def _failures(data: Mapping[str, Any]) -> tuple[SkuFailure, ...]:
    failures = []
    for error in data.get("errors") or ():
        detail = error.get("detail") or {}
        extra = tuple(
            (to_id(e.get("warehouse_id")), to_id(e.get("code")), str(e.get("message") or ""))
            for e in detail.get("extra_errors") or ()
        )
        failures.append(
            SkuFailure(
                sku_id=to_id(detail.get("sku_id")),
                code=to_id(error.get("code")),
                message=str(error.get("message") or ""),
                warehouse_errors=extra,
            )
        )
    return tuple(failures)


def _seg(value: str) -> str:
    return quote(str(value), safe="")


class ProductApi:
    """The Product API calls for one shop, over a shop-scoped :class:`TikTokClient`."""

    def __init__(self, client: TikTokClient) -> None:
        self.client = client

    # -- reads -------------------------------------------------------------------------------------

    def search_products(
        self,
        *,
        page_size: int = 100,
        page_token: str | None = None,
        status: str | None = None,
        seller_skus: Sequence[str] | None = None,
        update_time_ge: int | None = None,
        update_time_le: int | None = None,
    ) -> tuple[list[Product], str, int]:
        """One page: (products, next_page_token, total_count). ``update_time_le`` is inclusive."""
        if seller_skus is not None and len(seller_skus) > 10:
            raise ValueError("Search Products takes at most 10 seller_skus")
        query: dict[str, Any] = {"page_size": page_size}
        if page_token:
            query["page_token"] = page_token
        body: dict[str, Any] = {}
        if status:
            body["status"] = status
        if seller_skus:
            body["seller_skus"] = list(seller_skus)
        if update_time_ge is not None:
            body["update_time_ge"] = int(update_time_ge)
        if update_time_le is not None:
            body["update_time_le"] = int(update_time_le)
        data = self.client._call("POST", SEARCH_PATH, query=query, body=body).data
        products = [parse_product(p) for p in data.get("products") or ()]
        return products, str(data.get("next_page_token") or ""), to_int(data.get("total_count"))

    def iter_products(
        self,
        update_time_ge: int,
        update_time_le: int,
        *,
        page_size: int = 100,
        on_total: Callable[[int], None] | None = None,
    ) -> Iterator[Product]:
        """Every product updated in [ge, le] (both inclusive), under the 10,000-per-query cap: a
        window whose total exceeds the cap is split in two halves, each read on its own.
        ``on_total`` hears how many products the whole window holds (TikTok's first answer)."""
        first, token, total = self.search_products(
            page_size=page_size, update_time_ge=update_time_ge, update_time_le=update_time_le
        )
        if on_total is not None:
            on_total(total)
        if total > SEARCH_CAP:
            if update_time_ge >= update_time_le:
                raise SearchCapExceeded(
                    f"{total} products changed at {update_time_ge}: more than TikTok lists for one query",
                    code=TOO_MANY_RESULTS,
                    marketplace="TikTok Shop",
                )
            middle = (update_time_ge + update_time_le) // 2
            yield from self.iter_products(update_time_ge, middle, page_size=page_size)
            yield from self.iter_products(middle + 1, update_time_le, page_size=page_size)
            return
        yield from first
        while token:
            products, next_token, _ = self.search_products(
                page_size=page_size,
                page_token=token,
                update_time_ge=update_time_ge,
                update_time_le=update_time_le,
            )
            yield from products
            if next_token == token:
                return
            token = next_token

    def get_product(self, product_id: str) -> Product:
        data = self.client._call("GET", f"{PRODUCT_PATH}/{_seg(product_id)}").data
        return parse_product(data)

    def get_warehouses(self) -> list[Warehouse]:
        data = self.client._call("GET", WAREHOUSES_PATH).data
        return [
            Warehouse(
                id=to_id(w.get("id")),
                name=str(w.get("name") or ""),
                type=str(w.get("type") or ""),
                effect_status=str(w.get("effect_status") or ""),
                is_default=bool(w.get("is_default")),
            )
            for w in data.get("warehouses") or ()
        ]

    def get_fbt_warehouse_ids(self) -> set[str]:
        """TikTok Shop warehouse ids that belong to Fulfilled-by-TikTok warehouses (read-only stock).
        A shop that is not an FBT merchant answers an empty list."""
        data = self.client._call("GET", FBT_WAREHOUSES_PATH).data
        ids: set[str] = set()
        for warehouse in data.get("warehouses") or ():
            ids.update(to_id(w) for w in warehouse.get("warehouse_ids") or ())
        return ids

    # -- writes ------------------------------------------------------------------------------------

    def update_price(self, product_id: str, prices: Mapping[str, tuple[Decimal, str]]) -> UpdateResult:
        """Set the price of some SKUs of one product in one call: ``{sku_id: (amount, currency)}``."""
        skus = [
            {"id": sku_id, "price": {"amount": f"{amount:.2f}", "currency": currency}}
            for sku_id, (amount, currency) in prices.items()
        ]
        envelope = self.client._call(
            "POST", f"{PRODUCT_PATH}/{_seg(product_id)}/prices/update", body={"skus": skus}
        )
        return UpdateResult(envelope.request_id, _failures(envelope.data), envelope.data)

    def update_inventory(self, product_id: str, stock: Mapping[str, Mapping[str, int]]) -> UpdateResult:
        """Set stock of some SKUs of one product in one call: ``{sku_id: {warehouse_id: quantity}}``.

        The caller names every warehouse the SKU is assigned to (TikTok refuses omissions and extras).
        Per-SKU refusals come back in ``failures`` even though the call answered ``code: 0``.
        """
        if len(stock) > MAX_SKUS_PER_CALL:
            raise ValueError("Update Inventory takes at most 100 SKUs per call")
        skus = [
            {
                "id": sku_id,
                "inventory": [{"warehouse_id": w, "quantity": int(q)} for w, q in warehouses.items()],
            }
            for sku_id, warehouses in stock.items()
        ]
        envelope = self.client._call(
            "POST", f"{PRODUCT_PATH}/{_seg(product_id)}/inventory/update", body={"skus": skus}
        )
        return UpdateResult(envelope.request_id, _failures(envelope.data), envelope.data)

    def partial_edit(
        self, product_id: str, *, title: str | None = None, description: str | None = None
    ) -> UpdateResult:
        """Change title and/or description. ``skus`` is never sent: Partial Edit deletes every existing
        SKU missing from a ``skus`` array. The edit goes to TikTok's review; the live version stays."""
        body: dict[str, Any] = {}
        if title is not None:
            body["title"] = title
        if description is not None:
            body["description"] = description
        if not body:
            raise ValueError("nothing to edit")
        envelope = self.client._call("POST", f"{EDIT_PATH}/{_seg(product_id)}/partial_edit", body=body)
        return UpdateResult(envelope.request_id, _failures(envelope.data), envelope.data)
