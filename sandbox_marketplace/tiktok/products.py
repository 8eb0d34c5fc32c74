"""Product API emulation: search, detail, inventory search/update, price update, partial edit (with
review), warehouses and FBT warehouses — refusing what the reference says TikTok refuses.
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Response, request

from .. import clock, webhooks
from ..core import sandbox
from . import bp
from . import envelope as e
from .guard import Caller, authenticate

SEARCH_CAP = 10_000
AUDIT_SECONDS = 30  # an edit is reviewed this long after it was sent (sandbox clock)
FORBIDDEN_WORDS = ("replica", "counterfeit")  # review fails on these
LONG_TITLE_REGIONS = {"BR", "MX"}
SHORT_TITLE_OK = {"US", "GB", "UK", "DE", "ES", "FR", "IE", "IT", "JP"}
PRICE_LIMITS = {"US": "7600", "GB": "5600", "JP": "500000", "MX": "50000", "BR": "10000", "ID": "1000000000"}
EU_LIMIT = "6300"
CROSS_BORDER_LIMITS = {"US": "800", "GB": "134.5"}
CROSS_BORDER_EU = "150"


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise e.TikTokError(e.INVALID_PARAMS, "The request body must be a JSON object.")
    return body


def settle_audits(conn, shop_id: str) -> None:  # noqa: ANN001
    """Edits whose review time has come go live (or fail review; the live version stays)."""
    now = int(clock.now())
    rows = conn.execute(
        "SELECT * FROM tt_product WHERE shop_id=? AND pending IS NOT NULL AND pending_at<=?",
        (shop_id, now - AUDIT_SECONDS),
    ).fetchall()
    for row in rows:
        pending = json.loads(row["pending"])
        text = " ".join(str(v) for v in pending.values()).lower()
        if any(word in text for word in FORBIDDEN_WORDS):
            reasons = json.dumps([{"position": "title", "reasons": ["Prohibited words in the listing"]}])
            conn.execute(
                "UPDATE tt_product SET pending=NULL, audit_status='FAILED', audit_failed=?,"
                " status=CASE WHEN status='PENDING' THEN 'FAILED' ELSE status END WHERE id=?",
                (reasons, row["id"]),
            )
            _tell(conn, row, "FAILED", [])
            continue
        conn.execute(
            "UPDATE tt_product SET title=?, description=?, pending=NULL, audit_status='APPROVED',"
            " audit_failed='[]', status=CASE WHEN status='PENDING' THEN 'ACTIVATE' ELSE status END,"
            " update_time=? WHERE id=?",
            (
                pending.get("title", row["title"]),
                pending.get("description", row["description"]),
                row["pending_at"] + AUDIT_SECONDS,
                row["id"],
            ),
        )
        _tell(conn, row, "APPROVED", [k for k in ("title", "description") if k in pending])


def _tell(conn, row, audit: str, changed: list[str]) -> None:  # noqa: ANN001
    """Webhooks 37 (audit status) and, once an edit is live, 15 (information change, from OPEN_API).
    ``product_id`` goes out as a JSON number above 2**53, as in TikTok's examples."""
    stamp = row["pending_at"] + AUDIT_SECONDS
    data = {"product_id": int(row["id"]), "audit": {"status": audit}, "update_time": stamp}
    webhooks.queue(conn, 37, row["shop_id"], data)
    if changed:
        info = {"product_id": int(row["id"]), "change_source": "OPEN_API", "changed_fields": changed}
        webhooks.queue(conn, 15, row["shop_id"], info | {"update_time": stamp})


def _product_json(conn, row) -> dict[str, Any]:  # noqa: ANN001
    skus = conn.execute(
        "SELECT * FROM tt_product_sku WHERE product_id=? ORDER BY position, id", (row["id"],)
    ).fetchall()
    return {
        "id": row["id"],
        "title": row["title"],
        "status": row["status"],
        "create_time": row["create_time"],
        "update_time": row["update_time"],
        "has_draft": False,
        "audit": {"status": row["audit_status"]},
        "skus": [
            {
                "id": s["id"],
                "seller_sku": s["seller_sku"],
                "price": {
                    "currency": s["currency"],
                    "tax_exclusive_price": s["price"],
                    "sale_price": s["price"],
                },
                "inventory": [
                    {"warehouse_id": w, "quantity": q} for w, q in json.loads(s["inventory"]).items()
                ],
                "status_info": {"status": "NORMAL"},
            }
            for s in skus
        ],
    }


@bp.post("/product/202502/products/search")
def search_products() -> Response:
    caller = authenticate()
    try:
        page_size = int(request.args.get("page_size", ""))
    except ValueError:
        raise e.TikTokError(12019109, "page_size is required (1-100).") from None
    if not 1 <= page_size <= 100:
        raise e.TikTokError(12019109, "page_size must be between 1 and 100.")
    token = request.args.get("page_token") or "0"
    if not token.isdigit() or len(token) > 9:
        raise e.TikTokError(12019108, "Invalid page_token.")
    offset = int(token)
    body = _body()
    where, args = ["shop_id=?"], [caller.shop_id]
    status = body.get("status") or "ALL"
    if status != "ALL":
        where.append("status=?")
        args.append(status)
    for key, op in (("update_time_ge", ">="), ("update_time_le", "<=")):
        if key in body:
            if not isinstance(body[key], int) or isinstance(body[key], bool):
                raise e.TikTokError(12019118, f"{key} must be a unix time in seconds.")
            where.append(f"update_time{op}?")
            args.append(body[key])
    skus = body.get("seller_skus")
    if skus is not None:
        if not isinstance(skus, list) or len(skus) > 10:
            raise e.TikTokError(12019027, "seller_skus takes at most 10 values.")
        marks = ",".join("?" * len(skus)) or "''"
        where.append(f"id IN (SELECT product_id FROM tt_product_sku WHERE seller_sku IN ({marks}))")  # noqa: S608
        args.extend(str(s) for s in skus)
    with sandbox().store.write() as conn:
        settle_audits(conn, caller.shop_id)
    conn = sandbox().store.conn()
    clause = " AND ".join(where)
    total = conn.execute(f"SELECT COUNT(*) FROM tt_product WHERE {clause}", args).fetchone()[0]  # noqa: S608
    if offset + page_size > SEARCH_CAP and total > SEARCH_CAP:
        raise e.TikTokError(12052180, "At most 10,000 products can be returned for one query.")
    rows = conn.execute(
        f"SELECT * FROM tt_product WHERE {clause} ORDER BY update_time, id LIMIT ? OFFSET ?",  # noqa: S608
        [*args, page_size, offset],
    ).fetchall()
    end = offset + len(rows)
    next_token = str(end) if end < total else ""
    return e.ok(
        {
            "products": [_product_json(conn, r) for r in rows],
            "total_count": total,
            "next_page_token": next_token,
        }
    )


def _load(caller: Caller, product_id: str):  # noqa: ANN202
    row = None
    if product_id.isdigit() and len(product_id) < 25:
        row = sandbox().store.conn().execute("SELECT * FROM tt_product WHERE id=?", (product_id,)).fetchone()
    if row is None or row["shop_id"] != caller.shop_id:
        raise e.TikTokError(12019150, f"Product {product_id} does not exist.", 404)
    return row


@bp.get("/product/202309/products/<product_id>")
def get_product(product_id: str) -> Response:
    caller = authenticate()
    with sandbox().store.write() as conn:
        settle_audits(conn, caller.shop_id)
    row = _load(caller, product_id)
    if row["status"] in ("FREEZE", "DELETED"):
        raise e.TikTokError(12052901, "The product status does not allow this operation.")
    conn = sandbox().store.conn()
    data = _product_json(conn, row) | {"description": row["description"]}
    data["audit_failed_reasons"] = json.loads(row["audit_failed"])
    return e.ok(data)


@bp.post("/product/202309/inventory/search")
def inventory_search() -> Response:
    caller = authenticate()
    body = _body()
    sku_ids, product_ids = body.get("sku_ids"), body.get("product_ids")
    if sku_ids is not None and len(sku_ids) > 600:
        raise e.TikTokError(12019015, "At most 600 SKU ids.")
    if sku_ids is None and product_ids is not None and len(product_ids) > 100:
        raise e.TikTokError(12019120, "At most 100 product ids.")
    conn = sandbox().store.conn()
    if sku_ids is not None:
        marks = ",".join("?" * len(sku_ids)) or "''"
        rows = conn.execute(
            f"SELECT s.* FROM tt_product_sku s JOIN tt_product p ON p.id=s.product_id "  # noqa: S608
            f"WHERE p.shop_id=? AND s.id IN ({marks})",
            [caller.shop_id, *map(str, sku_ids)],
        ).fetchall()
    else:
        marks = ",".join("?" * len(product_ids or [])) or "''"
        rows = conn.execute(
            f"SELECT s.* FROM tt_product_sku s JOIN tt_product p ON p.id=s.product_id "  # noqa: S608
            f"WHERE p.shop_id=? AND p.id IN ({marks})",
            [caller.shop_id, *map(str, product_ids or [])],
        ).fetchall()
    grouped: dict[str, list[dict[str, Any]]] = {}
    for s in rows:
        stock = json.loads(s["inventory"])
        grouped.setdefault(s["product_id"], []).append(
            {
                "id": s["id"],
                "seller_sku": s["seller_sku"],
                "total_available_quantity": sum(stock.values()),
                "total_committed_quantity": 0,
                "warehouse_inventory": [
                    {"warehouse_id": w, "available_quantity": q, "committed_quantity": 0}
                    for w, q in stock.items()
                ],
            }
        )
    return e.ok({"inventory": [{"product_id": p, "skus": skus} for p, skus in grouped.items()]})


def _writable(row) -> None:  # noqa: ANN001
    if row["status"] != "ACTIVATE":
        raise e.TikTokError(12052901, f"The product status {row['status']} does not allow this operation.")


def _skus_of(product_id: str) -> dict[str, Any]:
    rows = sandbox().store.conn().execute("SELECT * FROM tt_product_sku WHERE product_id=?", (product_id,))
    return {r["id"]: r for r in rows}


def _sku_error(sku_id: str, code: int, message: str, extra: list | None = None) -> dict[str, Any]:
    return {"code": code, "message": message, "detail": {"sku_id": sku_id, "extra_errors": extra or []}}


@bp.post("/product/202309/products/<product_id>/inventory/update")
def update_inventory(product_id: str) -> Response:
    caller = authenticate()
    row = _load(caller, product_id)
    _writable(row)
    body = _body()
    items = body.get("skus")
    if not isinstance(items, list) or not items:
        raise e.TikTokError(e.INVALID_PARAMS, "skus is required.")
    if len(items) > 100:
        raise e.TikTokError(12052050, "At most 100 SKUs per request.")
    skus = _skus_of(product_id)
    warehouses = {
        w["id"]: w
        for w in sandbox()
        .store.conn()
        .execute("SELECT * FROM tt_warehouse WHERE shop_id=?", (caller.shop_id,))
    }
    errors, writes = [], {}
    for item in items:
        sku_id = str(item.get("id") if isinstance(item, dict) else "")
        if sku_id not in skus:
            raise e.TikTokError(12052556, f"SKU {sku_id} does not belong to product {product_id}.")
        assigned = json.loads(skus[sku_id]["inventory"])
        given = item.get("inventory")
        if not isinstance(given, list) or not given:
            errors.append(_sku_error(sku_id, 12052990, "check failed: inventory is required"))
            continue
        if len(given) == 1 and "warehouse_id" not in given[0] and len(assigned) == 1:
            given = [{"warehouse_id": next(iter(assigned)), "quantity": given[0].get("quantity")}]
        extra, stock = [], {}
        for entry in given:
            wid = str(entry.get("warehouse_id", ""))
            quantity = entry.get("quantity")
            if wid not in warehouses:
                extra.append({"warehouse_id": wid, "code": 12052097, "message": "warehouse does not exist"})
            elif warehouses[wid]["fbt"]:
                extra.append(
                    {
                        "warehouse_id": wid,
                        "code": 12052037,
                        "message": "inventory is automatically allocated and cannot be modified manually",
                    }
                )
            elif wid not in assigned:
                extra.append(
                    {
                        "warehouse_id": wid,
                        "code": 12052533,
                        "message": "SKU is not assigned to this warehouse",
                    }
                )
            elif not isinstance(quantity, int) or isinstance(quantity, bool) or not 1 <= quantity <= 99_999:
                extra.append({"warehouse_id": wid, "code": 12052055, "message": "quantity must be 1-99999"})
            else:
                stock[wid] = quantity
        missing = [w for w in assigned if w not in stock and not any(x["warehouse_id"] == w for x in extra)]
        for wid in missing:
            code = 12052037 if warehouses.get(wid) and warehouses[wid]["fbt"] else 12019028
            extra.append(
                {"warehouse_id": wid, "code": code, "message": "every assigned warehouse must be listed"}
            )
        if extra:
            errors.append(_sku_error(sku_id, 12052990, "check failed", extra))
            continue
        writes[sku_id] = stock
    now = int(clock.now())
    with sandbox().store.write() as conn:
        for sku_id, stock in writes.items():
            conn.execute("UPDATE tt_product_sku SET inventory=? WHERE id=?", (json.dumps(stock), sku_id))
        if writes:
            conn.execute("UPDATE tt_product SET update_time=? WHERE id=?", (now, product_id))
    return e.ok({"errors": errors} if errors else {})


def _price_limit(caller: Caller) -> Decimal:
    shop = sandbox().store.conn().execute("SELECT * FROM tt_shop WHERE id=?", (caller.shop_id,)).fetchone()
    eu = caller.region in {"DE", "FR", "IE", "IT", "ES"}
    if shop["seller_type"] == "CROSS_BORDER":
        return Decimal(CROSS_BORDER_EU if eu else CROSS_BORDER_LIMITS.get(caller.region, "800"))
    return Decimal(EU_LIMIT if eu else PRICE_LIMITS.get(caller.region, "7600"))


@bp.post("/product/202309/products/<product_id>/prices/update")
def update_price(product_id: str) -> Response:
    caller = authenticate()
    row = _load(caller, product_id)
    _writable(row)
    if row["promotion_lock"]:
        raise e.TikTokError(12052038, "The price is locked by an ongoing promotion.")
    items = _body().get("skus")
    if not isinstance(items, list) or not items:
        raise e.TikTokError(e.INVALID_PARAMS, "skus is required.")
    skus = _skus_of(product_id)
    limit = _price_limit(caller)
    writes = {}
    for item in items:
        sku_id = str(item.get("id") if isinstance(item, dict) else "")
        if sku_id not in skus:
            raise e.TikTokError(12052557, f"SKU {sku_id} is not in product {product_id}.")
        price = item.get("price") if isinstance(item.get("price"), dict) else {}
        if price.get("currency") != skus[sku_id]["currency"]:
            raise e.TikTokError(12052084, f"Currency {price.get('currency')!r} is not valid for this shop.")
        try:
            amount = Decimal(str(price.get("amount")))
        except InvalidOperation:
            raise e.TikTokError(12052570, "The price amount is invalid.") from None
        if not isinstance(price.get("amount"), str) or not Decimal("0.01") <= amount <= limit:
            raise e.TikTokError(12052570, f"The price must be between 0.01 and {limit}.")
        writes[sku_id] = f"{amount:.2f}"
    with sandbox().store.write() as conn:
        for sku_id, amount in writes.items():
            conn.execute("UPDATE tt_product_sku SET price=? WHERE id=?", (amount, sku_id))
        conn.execute("UPDATE tt_product SET update_time=? WHERE id=?", (int(clock.now()), product_id))
    return e.ok({})


@bp.post("/product/202509/products/<product_id>/partial_edit")
def partial_edit(product_id: str) -> Response:
    caller = authenticate()
    row = _load(caller, product_id)
    if row["status"] in ("FREEZE", "DELETED"):
        raise e.TikTokError(12052901, "The product status does not allow this operation.")
    body = _body()
    pending: dict[str, Any] = json.loads(row["pending"]) if row["pending"] else {}
    if "title" in body:
        title = body["title"]
        low = 1 if caller.region in SHORT_TITLE_OK | LONG_TITLE_REGIONS else 25
        high = 300 if caller.region in LONG_TITLE_REGIONS else 255
        if not isinstance(title, str) or not low <= len(title) <= high:
            raise e.TikTokError(e.INVALID_PARAMS, f"title must be {low}-{high} characters.")
        pending["title"] = title
    if "description" in body:
        description = body["description"]
        if not isinstance(description, str) or len(description) > 10_000:
            raise e.TikTokError(e.INVALID_PARAMS, "description must be HTML of at most 10,000 characters.")
        if description.count("<img") > 30:
            raise e.TikTokError(e.INVALID_PARAMS, "description may hold at most 30 images.")
        pending["description"] = description
    if "main_images" in body:
        images = body["main_images"]
        if not isinstance(images, list) or any(
            not isinstance(i, dict) or str(i.get("uri", "")).startswith("http") for i in images
        ):
            raise e.TikTokError(e.INVALID_PARAMS, "main_images take URIs from Upload Product Image only.")
    skus = _skus_of(product_id)
    with sandbox().store.write() as conn:
        if "skus" in body:
            # The trap, faithfully: an existing SKU left out of `skus` is deleted.
            kept = {str(s.get("id")) for s in body["skus"] or () if isinstance(s, dict)}
            for sku_id in skus:
                if sku_id not in kept:
                    conn.execute("DELETE FROM tt_product_sku WHERE id=?", (sku_id,))
        if pending:
            conn.execute(
                "UPDATE tt_product SET pending=?, pending_at=?, audit_status='AUDITING' WHERE id=?",
                (json.dumps(pending), int(clock.now()), product_id),
            )
    remaining = _skus_of(product_id)
    return e.ok(
        {
            "product_id": product_id,
            "skus": [{"id": s["id"], "seller_sku": s["seller_sku"]} for s in remaining.values()],
            "audit": {"status": "AUDITING" if pending else row["audit_status"]},
        }
    )


@bp.get("/logistics/202309/warehouses")
def warehouses() -> Response:
    caller = authenticate()
    rows = (
        sandbox()
        .store.conn()
        .execute("SELECT * FROM tt_warehouse WHERE shop_id=? ORDER BY id", (caller.shop_id,))
    )
    return e.ok(
        {
            "warehouses": [
                {
                    "id": r["id"],
                    "name": r["name"],
                    "type": r["type"],
                    "sub_type": "DOMESTIC_WAREHOUSE",
                    "effect_status": r["effect_status"],
                    "is_default": bool(r["is_default"]),
                }
                for r in rows
            ]
        }
    )


@bp.get("/fbt/202408/warehouses")
def fbt_warehouses() -> Response:
    caller = authenticate()
    rows = (
        sandbox()
        .store.conn()
        .execute("SELECT * FROM tt_warehouse WHERE shop_id=? AND fbt=1 ORDER BY id", (caller.shop_id,))
        .fetchall()
    )
    warehouses = [
        {
            "fbt_warehouse_id": "FBT" + r["id"][-4:],
            "warehouse_ids": [r["id"]],
            "name": r["name"],
            "type": "PLATFORM_WAREHOUSE",
            "subscribed": True,
        }
        for r in rows
    ]
    # The FBT stock the demo orders ship from (fbt_stock, sandbox orders) is in TikTok's warehouses too:
    # one list of the shop's FBT warehouses, whichever part of the sandbox seeded them.
    listed = {w for item in warehouses for w in [*item["warehouse_ids"], item["fbt_warehouse_id"]]}
    stocked = (
        sandbox()
        .store.conn()
        .execute("SELECT DISTINCT warehouse_id FROM fbt_stock WHERE shop_id=? ORDER BY 1", (caller.shop_id,))
        .fetchall()
    )
    for (warehouse_id,) in stocked:
        if warehouse_id not in listed:
            warehouses.append(
                {
                    "fbt_warehouse_id": warehouse_id,
                    "warehouse_ids": [warehouse_id],
                    "name": f"FBT {warehouse_id}",
                    "type": "PLATFORM_WAREHOUSE",
                    "subscribed": True,
                }
            )
    return e.ok({"warehouses": warehouses})
