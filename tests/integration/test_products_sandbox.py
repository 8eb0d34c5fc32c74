"""The connector's Product API client against the sandbox: every refusal the reference documents is
answered, and the client reads it the way TikTok would send it (the sandbox is never kinder)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal

import pytest

from connector_app.marketplaces import MarketplaceError, NotFound
from connector_app.marketplaces.tiktok import TikTokAuth, TikTokClient
from connector_app.marketplaces.tiktok.products import ProductApi
from sandbox_marketplace.testing import SandboxServer


@pytest.fixture(scope="module")
def sb() -> Iterator[SandboxServer]:
    # Webhooks go to a closed port: stored (and retried), which is all these tests read.
    with SandboxServer(
        seed=5,
        returns=50,
        webhook_url="http://127.0.0.1:9/hook",
        SANDBOX_TIKTOK_QPS=10_000,
        SANDBOX_ETSY_QPS=10_000,
    ) as server:
        yield server


def _api(sb: SandboxServer, seller: str) -> list[ProductApi]:
    code, app = sb.authorize_tiktok_for_app(seller=seller)
    key, secret = sb.tiktok_app(app)
    token = TikTokAuth(key, secret, sb.url).get_token(code).access_token
    shops = TikTokClient(key, secret, sb.url, token).get_authorized_shops()
    return [ProductApi(TikTokClient(key, secret, sb.url, token, s.cipher)) for s in shops]


@pytest.fixture(scope="module")
def us(sb) -> ProductApi:
    return _api(sb, "Harbor & Pine Goods")[0]


@pytest.fixture(scope="module")
def lindenhof(sb) -> list[ProductApi]:
    return _api(sb, "Lindenhof Atelier")


def _live(api: ProductApi):
    return [p for p in api.iter_products(0, 2**31 - 1) if p.status == "ACTIVATE"]


def test_demo_shop_has_two_warehouses_and_ids_above_2_53(us):
    sales = [w for w in us.get_warehouses() if w.is_sales]
    assert len(sales) == 2
    product = _live(us)[0]
    assert int(product.id) > 2**53 and all(int(s.id) > 2**53 for s in product.skus)
    assert {w for s in product.skus for w in s.warehouse_ids} <= {w.id for w in sales}


def test_inventory_must_name_every_warehouse_and_fails_per_sku_inside_code_0(us):
    product = next(p for p in _live(us) if len(p.skus) >= 2)
    first, second = product.skus[0], product.skus[1]
    stock = {first.id: {w: 5 for w in first.warehouse_ids}, second.id: {second.warehouse_ids[0]: 5}}
    result = us.update_inventory(product.id, stock)
    assert result.failed(first.id) is None
    failure = result.failed(second.id)
    assert failure is not None and failure.code == "12052990"
    assert any(code == "12019028" for _, code, _ in failure.warehouse_errors)
    after = us.get_product(product.id)
    assert after.skus[0].quantity == 5 * len(first.warehouse_ids)
    assert after.skus[1].quantity == second.quantity  # the refused SKU is unchanged


def test_zero_stock_and_unknown_warehouses_are_refused_per_sku(us):
    product = _live(us)[0]
    sku = product.skus[0]
    zero = us.update_inventory(product.id, {sku.id: {w: 0 for w in sku.warehouse_ids}})
    assert zero.failed(sku.id).warehouse_errors[0][1] == "12052055"
    extra = us.update_inventory(product.id, {sku.id: {**{w: 1 for w in sku.warehouse_ids}, "404": 1}})
    assert "12052097" in extra.failed(sku.id).reason()


def test_fbt_stock_cannot_be_set(lindenhof):
    for api in lindenhof:
        fbt = api.get_fbt_warehouse_ids()
        if not fbt:
            continue
        product = next(p for p in _live(api) if set(p.skus[0].warehouse_ids) & fbt)
        sku = product.skus[0]
        result = api.update_inventory(product.id, {sku.id: {w: 3 for w in sku.warehouse_ids}})
        assert "12052037" in result.failed(sku.id).reason()
        return
    pytest.fail("no demo shop has an FBT warehouse")


def test_price_needs_the_shop_currency_and_a_live_product(us):
    products = list(us.iter_products(0, 2**31 - 1))
    live = next(p for p in products if p.status == "ACTIVATE")
    sku = live.skus[0]
    with pytest.raises(MarketplaceError) as wrong_currency:
        us.update_price(live.id, {sku.id: (Decimal("10"), "EUR")})
    assert wrong_currency.value.code == "12052084"
    with pytest.raises(MarketplaceError) as too_high:
        us.update_price(live.id, {sku.id: (Decimal("9000"), "USD")})
    assert too_high.value.code == "12052570"
    us.update_price(live.id, {sku.id: (Decimal("12.34"), "USD")})
    assert us.get_product(live.id).skus[0].price == Decimal("12.34")
    in_review = next(p for p in products if p.status == "PENDING")
    with pytest.raises(MarketplaceError) as not_live:
        us.update_price(in_review.id, {in_review.skus[0].id: (Decimal("10"), "USD")})
    assert not_live.value.code == "12052901"


def test_partial_edit_goes_to_review_and_the_live_version_stays(sb, us):
    product = _live(us)[1]
    us.partial_edit(product.id, title="A brand new title")
    during = us.get_product(product.id)
    assert during.title == product.title and during.audit_status == "AUDITING"
    sb.advance_clock(31)
    after = us.get_product(product.id)
    assert after.title == "A brand new title" and after.audit_status == "APPROVED"
    told = [
        d["body"] for d in sb.webhook_deliveries() if d["body"]["data"].get("product_id") == int(product.id)
    ]
    assert {b["type"] for b in told} == {37, 15}  # audit passed; the edit is live (our own: OPEN_API)
    assert '"product_id":' + product.id in json.dumps(told[0], separators=(",", ":"))  # a JSON number
    us.partial_edit(product.id, title="Replica watch")
    sb.advance_clock(31)
    failed = us.get_product(product.id)
    assert failed.title == "A brand new title" and failed.audit_status == "FAILED"
    assert failed.audit_failed_reasons


def test_partial_edit_with_skus_deletes_the_ones_left_out(us):
    """The trap the client avoids: the sandbox deletes SKUs a raw partial edit leaves out."""
    product = next(p for p in _live(us) if len(p.skus) >= 2)
    path = f"/product/202509/products/{product.id}/partial_edit"
    us.client._call("POST", path, body={"skus": [{"id": product.skus[0].id}]})
    assert [s.id for s in us.get_product(product.id).skus] == [product.skus[0].id]


def test_another_shops_product_is_not_found(us, lindenhof):
    theirs = _live(lindenhof[0])[0]
    with pytest.raises(NotFound):
        us.get_product(theirs.id)


def test_search_refuses_more_than_10_seller_skus_and_a_bad_page_size(us):
    with pytest.raises(ValueError):
        us.search_products(seller_skus=[str(i) for i in range(11)])
    with pytest.raises(MarketplaceError) as bad:
        us.search_products(page_size=101)
    assert bad.value.code == "12019109"
