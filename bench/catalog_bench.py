"""Catalog benchmark (issue 17): what reading Etsy and pushing to TikTok cost, counted and timed.

Goals:
- Etsy calls for a full read of a 5,000-listing shop ≤ 1.1 × ceil(5,000 / 100);
- Etsy calls for the incremental read after 20 changed listings ≤ 3;
- TikTok calls for a push = the (product, field) pairs that differ, exactly (one call per product and
  field, never per SKU), and the push takes ≤ 1.2 × the rate-limit bound ((calls − 1) / 50 s: TikTok's
  50 requests a second per shop, the honest lower bound of the same calls);
- the worker's peak memory relinking, planning and pushing a 50,000-SKU shop ≤ 1.2 × a 5,000-SKU shop
  (each in a fresh process; the same 50 products differ in both, so the push itself costs the same).

The marketplaces are stubbed in-process with ``responses`` (their answers, not their speed, matter here:
the figures are call counts and the time against the client's own rate limit). The push runs the real
``products.push`` over a SQLite database and the real clients.

``python -m bench catalog``; prints each figure, exits 1 when a goal is missed.
"""

from __future__ import annotations

import json
import math
import re
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import responses

from connector_app.processes import RedisServer

ETSY = "https://etsy.bench"
TIKTOK = "https://tiktok.bench"
LISTINGS, CHANGED = 5_000, 20
PRODUCTS, DIFFERING, SKUS_PER_PRODUCT = 300, 120, 3
GOAL_FULL, GOAL_INCREMENTAL, GOAL_RATE = 1.1, 3, 1.2


def _listing(listing_id: int, updated: int) -> dict:
    money = {"amount": 2800, "divisor": 100, "currency_code": "USD"}
    return {
        "listing_id": listing_id,
        "title": f"Listing {listing_id}",
        "state": "active",
        "last_modified_timestamp": updated,
        "price": money,
        "inventory": {
            "products": [
                {"sku": f"S{listing_id}", "offerings": [{"quantity": 5, "is_enabled": True, "price": money}]}
            ]
        },
    }


def etsy_reads() -> tuple[int, int]:
    """(calls for the full read, calls for the incremental read after 20 changes)."""
    from connector_app.marketplaces.etsy import EtsyClient, catalog

    stamps = {i: 1_000_000 + i for i in range(LISTINGS)}

    def answer(request):
        query = dict(re.findall(r"([a-z_]+)=([^&]*)", request.url.split("?", 1)[1]))
        if query["state"] != "active":
            return 200, {}, json.dumps({"count": 0, "results": []})
        ordered = sorted(stamps.items(), key=lambda kv: -kv[1])
        offset, limit = int(query["offset"]), int(query["limit"])
        page = [_listing(i, t) for i, t in ordered[offset : offset + limit]]
        return 200, {}, json.dumps({"count": len(stamps), "results": page})

    client = EtsyClient("key", "secret", ETSY, "1.token")
    with responses.RequestsMock() as rsps:
        rsps.add_callback("GET", f"{ETSY}/v3/application/shops/42/listings", callback=answer)
        seen = [
            x
            for state in ("active", "sold_out")
            for x in catalog.changed_listings(client, "42", since=None, state=state)
        ]
        full = len(rsps.calls)
        high_water = max(listing.updated for listing in seen)
        for n in range(CHANGED):  # 20 listings change on Etsy
            stamps[n * 97] = high_water + 600 + n
        before = len(rsps.calls)
        changed = [
            x
            for state in ("active", "sold_out")
            for x in catalog.changed_listings(client, "42", since=high_water, state=state)
        ]
        incremental = len(rsps.calls) - before
    assert len(seen) == LISTINGS and {x.listing_id for x in changed} >= {str(n * 97) for n in range(CHANGED)}
    return full, incremental


def _seed(app) -> int:
    from connector_app.accounts.preferences import SellerSettings
    from connector_app.accounts.services import create_seller
    from connector_app.connect.models import EtsyConnection, TikTokAuthorization, TikTokShop
    from connector_app.extensions import db
    from connector_app.products import models as m
    from connector_app.timeutil import utcnow

    with app.app_context():
        db.create_all()
        seller = create_seller("bench-catalog@example.com", "correct horse battery")
        auth = TikTokAuthorization(seller_id=seller.id, open_id="o", access_token="t", refresh_token="r",
                                   access_token_expires_at=utcnow().replace(year=2100))  # fmt: skip
        shop = TikTokShop(seller_id=seller.id, authorization=auth, shop_id="1", name="Bench", region="US",
                          cipher="BENCH")  # fmt: skip
        etsy = EtsyConnection(seller_id=seller.id, etsy_user_id="1", etsy_shop_id="42", shop_name="E")
        follows = SellerSettings(seller_id=seller.id, stock_follows_sales=True, stock_follows_sales_after=1)
        db.session.add_all([auth, shop, etsy, follows])
        db.session.flush()
        db.session.add(m.ProductSyncSettings(seller_id=seller.id, tiktok_shop_id=shop.id, sync_price=True,
                                             sync_inventory=True, max_price_change_percent=1000))  # fmt: skip
        for p in range(PRODUCTS):
            product = m.TikTokProduct(seller_id=seller.id, tiktok_shop_id=shop.id, product_id=str(10**18 + p),
                                      title=f"P{p}", status="ACTIVATE")  # fmt: skip
            db.session.add(product)
            db.session.flush()
            for s in range(SKUS_PER_PRODUCT):
                sku = f"S{p}-{s}"
                etsy_sku = m.EtsyCatalogSku(seller_id=seller.id, etsy_connection_id=etsy.id,
                                            listing_id=str(p), sku=sku, title=f"P{p}", currency="USD",
                                            price=Decimal("28.00"), quantity=5,
                                            listing_updated=1)  # fmt: skip
                db.session.add(etsy_sku)
                differs = p < DIFFERING
                db.session.add(
                    m.TikTokSku(seller_id=seller.id, tiktok_shop_id=shop.id, product_pk=product.id,
                                sku_id=f"{10**18 + p}{s}", seller_sku=sku, currency="USD",
                                price=Decimal("27.00") if differs else Decimal("28.00"),
                                quantity=4 if differs else 5, warehouse_stock={"W1": 4 if differs else 5})
                )  # fmt: skip
        db.session.commit()
        return shop.id


def push_figures(tmp: Path, redis_url: str) -> tuple[int, int, float, float]:
    """(calls made, (product, field) pairs that differ, push seconds, rate-limit bound seconds)."""
    from connector_app import create_app
    from connector_app.connect.models import TikTokShop
    from connector_app.extensions import db
    from connector_app.marketplaces.tiktok import TikTokClient
    from connector_app.marketplaces.tiktok.products import ProductApi
    from connector_app.products import mirror, plan, push

    database = f"sqlite:///{tmp / 'catalog.sqlite'}"
    app = create_app({"INSTANCE_PATH": str(tmp), "REDIS_URL": redis_url, "SECRET_KEY": "bench",
                      "SQLALCHEMY_DATABASE_URI": database, "LOG_LEVEL": "WARNING"})  # fmt: skip
    shop_pk = _seed(app)
    ok = json.dumps({"code": 0, "message": "Success", "request_id": "r", "data": {}})
    with app.app_context(), responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        for kind in ("prices", "inventory"):
            rsps.add(
                responses.POST, re.compile(rf"{TIKTOK}/product/202309/products/\d+/{kind}/update.*"), body=ok
            )
        shop = db.session.get(TikTokShop, shop_pk)
        mirror.relink(shop)
        plans = plan.plan_shop(shop, mirror.settings_for(shop))
        pairs = sum(len({c.field for c in p.changes if c.skip is None}) for p in plans)
        api = ProductApi(TikTokClient("k", "s", TIKTOK, "token", "BENCH"))  # its own 50/s limiter
        started = time.perf_counter()
        push.push_shop(api, shop, plans, db.session.commit)
        elapsed = time.perf_counter() - started
        calls = len(rsps.calls)
    return calls, pairs, elapsed, max(calls - 1, 1) / 50


MEMORY_SIZES = (5_000, 50_000)
MEMORY_DIFFERING = 50  # products that differ in both sizes: the push itself costs the same
GOAL_MEMORY = 1.2


def _bulk_seed(app, skus: int) -> None:
    """A shop of ``skus`` SKUs (3 per product), all linked by SKU, ``MEMORY_DIFFERING`` products differ."""
    from sqlalchemy import insert

    from connector_app.accounts.preferences import SellerSettings
    from connector_app.accounts.services import create_seller
    from connector_app.connect.models import EtsyConnection, TikTokAuthorization, TikTokShop
    from connector_app.extensions import db
    from connector_app.products import models as m
    from connector_app.timeutil import utcnow

    with app.app_context():
        db.create_all()
        seller = create_seller("bench-memory@example.com", "correct horse battery")
        auth = TikTokAuthorization(seller_id=seller.id, open_id="o", access_token="t", refresh_token="r",
                                   access_token_expires_at=utcnow().replace(year=2100))  # fmt: skip
        shop = TikTokShop(seller_id=seller.id, authorization=auth, shop_id="1", name="Bench", region="US",
                          cipher="BENCH")  # fmt: skip
        etsy = EtsyConnection(seller_id=seller.id, etsy_user_id="1", etsy_shop_id="42", shop_name="E")
        follows = SellerSettings(seller_id=seller.id, stock_follows_sales=True, stock_follows_sales_after=1)
        db.session.add_all([auth, shop, etsy, follows])
        db.session.flush()
        db.session.add(m.ProductSyncSettings(seller_id=seller.id, tiktok_shop_id=shop.id, sync_price=True,
                                             sync_inventory=True, max_price_change_percent=1000))  # fmt: skip
        products = skus // SKUS_PER_PRODUCT
        db.session.execute(insert(m.TikTokProduct), [
            {"id": p + 1, "seller_id": seller.id, "tiktok_shop_id": shop.id, "product_id": str(10**18 + p),
             "title": f"P{p}", "status": "ACTIVATE", "audit_status": "", "update_time": 0}
            for p in range(products)
        ])  # fmt: skip
        rows_e, rows_t = [], []
        for p in range(products):
            for n in range(SKUS_PER_PRODUCT):
                pk, differs = p * SKUS_PER_PRODUCT + n + 1, p < MEMORY_DIFFERING
                rows_e.append(
                    {"id": pk, "seller_id": seller.id, "etsy_connection_id": etsy.id, "listing_id": str(p),
                     "sku": f"S{pk}", "title": f"P{p}", "description": "", "state": "active", "gone": False,
                     "price": Decimal("28.00"), "currency": "USD", "quantity": 5, "listing_updated": 1}
                )  # fmt: skip
                rows_t.append(
                    {"id": pk, "seller_id": seller.id, "tiktok_shop_id": shop.id, "product_pk": p + 1,
                     "sku_id": f"{10**18 + pk}", "seller_sku": f"S{pk}", "currency": "USD",
                     "price": Decimal("27.00") if differs else Decimal("28.00"),
                     "quantity": 4 if differs else 5, "warehouse_stock": {"W1": 4 if differs else 5},
                     "is_fbt": False, "link_state": "no_match", "differs": False}
                )  # fmt: skip
        db.session.execute(insert(m.EtsyCatalogSku), rows_e)
        db.session.execute(insert(m.TikTokSku), rows_t)
        db.session.commit()


def _memory_app(tmp: Path, redis_url: str):
    from connector_app import create_app

    database = f"sqlite:///{tmp / 'memory.sqlite'}"
    return create_app({"INSTANCE_PATH": str(tmp), "REDIS_URL": redis_url, "SECRET_KEY": "bench",
                       "SQLALCHEMY_DATABASE_URI": database, "LOG_LEVEL": "WARNING"})  # fmt: skip


def memory_child(tmp: str, redis_url: str) -> int:
    """Relink, plan and push the seeded shop as the job does; print this process's peak memory (KiB)."""
    from connector_app.connect.models import TikTokShop
    from connector_app.extensions import db
    from connector_app.marketplaces.tiktok import TikTokClient
    from connector_app.marketplaces.tiktok.products import ProductApi
    from connector_app.products import mirror, plan, push

    app = _memory_app(Path(tmp), redis_url)
    ok = json.dumps({"code": 0, "message": "Success", "request_id": "r", "data": {}})
    with app.app_context(), responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.add(responses.POST, re.compile(rf"{TIKTOK}/product/.*"), body=ok)
        shop = db.session.scalars(db.select(TikTokShop)).one()
        mirror.relink(shop)
        db.session.commit()
        settings = mirror.settings_for(shop)
        api = ProductApi(TikTokClient("k", "s", TIKTOK, "token", "BENCH"))
        push.push_shop(api, shop, plan.iter_plans(shop, settings), db.session.commit)
        calls = len(rsps.calls)
    print(json.dumps({"peak_kib": _peak_kib(), "calls": calls}))
    return 0


def _peak_kib() -> int:
    """This process's peak resident memory. Not ``ru_maxrss``: Linux keeps that across exec, so a child
    started by a big parent would report the parent's peak; ``VmHWM`` belongs to this program."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def memory_figures(redis_url: str) -> dict[int, dict]:
    import subprocess
    import sys

    peaks = {}
    for size in MEMORY_SIZES:
        with tempfile.TemporaryDirectory() as tmp:
            _bulk_seed(_memory_app(Path(tmp), redis_url), size)
            out = subprocess.run(
                [sys.executable, "-m", "bench.catalog_bench", "--memory-child", tmp, redis_url],
                capture_output=True, text=True, check=True, timeout=900,
            )  # fmt: skip
            peaks[size] = json.loads(out.stdout.strip().splitlines()[-1])
    return peaks


def main(argv: list[str] | None = None) -> int:
    argv = list(argv or [])
    if argv[:1] == ["--memory-child"]:
        return memory_child(argv[1], argv[2])
    missed = 0
    full, incremental = etsy_reads()
    bound = math.ceil(LISTINGS / 100)
    ratio = full / bound
    print(f"Etsy full read of {LISTINGS:,} listings: {full} calls", end=" ")
    print(f"= {ratio:.2f} × ceil(5,000/100) (goal ≤ {GOAL_FULL}×)")
    print(f"Etsy incremental read after {CHANGED} changes: {incremental} calls (goal ≤ {GOAL_INCREMENTAL})")
    missed += full > GOAL_FULL * bound or incremental > GOAL_INCREMENTAL
    with tempfile.TemporaryDirectory() as tmp, RedisServer(Path(tmp) / "redis", persist=False) as redis:
        calls, pairs, elapsed, floor = push_figures(Path(tmp), redis.url)
    print(f"TikTok push: {calls} calls for {pairs} differing (product, field) pairs of {PRODUCTS} products "
          f"({DIFFERING} differ in price and stock; goal: equal)")  # fmt: skip
    rate = elapsed / floor
    print(f"TikTok push time: {elapsed:.2f} s vs the 50/s bound {floor:.2f} s", end=" ")
    print(f"= {rate:.2f}× (goal ≤ {GOAL_RATE}×)")
    missed += calls != pairs or elapsed > GOAL_RATE * floor
    with tempfile.TemporaryDirectory() as tmp, RedisServer(Path(tmp) / "redis", persist=False) as redis:
        peaks = memory_figures(redis.url)
    small, big = (peaks[n]["peak_kib"] for n in MEMORY_SIZES)
    print(f"Worker peak memory, relink + plan + push: {MEMORY_SIZES[1]:,} SKUs {big / 1024:.0f} MiB vs "
          f"{MEMORY_SIZES[0]:,} SKUs {small / 1024:.0f} MiB = {big / small:.2f}× (goal ≤ {GOAL_MEMORY}×; "
          f"{peaks[MEMORY_SIZES[0]]['calls']} and {peaks[MEMORY_SIZES[1]]['calls']} calls)")  # fmt: skip
    missed += big > GOAL_MEMORY * small
    return 1 if missed else 0


if __name__ == "__main__":
    import sys

    raise SystemExit(main(sys.argv[1:]))
