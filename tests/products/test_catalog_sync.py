"""The catalog sync end to end against the sandbox marketplace (real clients over loopback): links by
SKU, nothing pushed while off, exactly the differing products pushed once when on, faults and a killed
worker ending with TikTok equal to Etsy and no change sent twice."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest

from connector_app.connect.clients import etsy_client_for, tiktok_client_for
from connector_app.connect.models import EtsyConnection, TikTokShop
from connector_app.extensions import db
from connector_app.marketplaces.tiktok.products import ProductApi
from connector_app.products import models as m
from connector_app.products import rules
from tests.products.helpers import connect_both, records, run_catalog, skus, stock_follows_sales, switch_on
from tests.sync.helpers import point_app_at, sandbox_for

pytestmark = pytest.mark.integration


@pytest.fixture
def sb():
    with sandbox_for(5, SANDBOX_ETSY_QPS=10_000) as server:
        yield server


@pytest.fixture
def writes(monkeypatch):
    """Every TikTok write the push makes: (call, product_id, SKU ids)."""
    seen: list[tuple[str, str, tuple[str, ...]]] = []
    for name in ("update_price", "update_inventory"):
        original = getattr(ProductApi, name)

        def spy(self, product_id, values, _original=original, _name=name):
            seen.append((_name, product_id, tuple(values)))
            return _original(self, product_id, values)

        monkeypatch.setattr(ProductApi, name, spy)
    return seen


def _tiktok(app, shop_pk: int) -> dict[str, tuple[Decimal | None, int, str]]:
    """{sku_id: (price, stock, product status)} as TikTok shows them now."""
    with app.app_context():
        api = ProductApi(tiktok_client_for(db.session.get(TikTokShop, shop_pk)))
        return {
            s.id: (s.price, s.quantity, p.status) for p in api.iter_products(0, 2**31 - 1) for s in p.skus
        }


def _linked_targets(app, shop_pk: int) -> dict[str, tuple[Decimal, int]]:
    """What Etsy says each linked, pushable SKU should show (price, stock), read from Etsy itself."""
    from connector_app.marketplaces.etsy import catalog

    with app.app_context():
        connection = db.session.scalars(db.select(EtsyConnection)).first()
        client = etsy_client_for(connection)
        etsy = {}
        for state in ("active", "sold_out"):
            for listing in catalog.changed_listings(client, connection.etsy_shop_id, since=None, state=state):
                for sku in listing.skus:
                    etsy.setdefault(sku.sku, []).append(sku)
    targets = {}
    for sku in skus(app, shop_pk):
        if sku.link_state != m.LINKED or sku.is_fbt or len(etsy.get(sku.seller_sku, [])) != 1:
            continue
        source = etsy[sku.seller_sku][0]
        stock = rules.target_stock(source.quantity, rules.StockRule())
        try:
            rules.split_stock(stock, dict(sku.warehouse_stock))
        except rules.NotPushable:
            continue
        targets[sku.sku_id] = (source.price, stock)
    return targets


def test_links_by_sku_and_pushes_nothing_while_everything_is_off(app, factories, sb, writes):
    point_app_at(app, sb)
    seller = factories.seller()
    shop = connect_both(app, sb, seller)
    before = _tiktok(app, shop.id)
    assert run_catalog(app, shop.id) == "succeeded"
    states = Counter(s.link_state for s in skus(app, shop.id))
    assert states[m.LINKED] >= 5
    assert states[m.NO_MATCH] >= 1 and states[m.DUPLICATE_TIKTOK] == 2 and states[m.DUPLICATE_ETSY] >= 1
    assert all(int(s.sku_id) > 2**53 for s in skus(app, shop.id))  # ids kept exact as text
    assert writes == [] and records(app) == []
    assert _tiktok(app, shop.id) == before


def test_switched_on_tiktok_ends_equal_to_etsy_one_call_per_differing_product_and_never_twice(
    app, factories, sb, writes
):
    point_app_at(app, sb)
    seller = factories.seller()
    shop = connect_both(app, sb, seller)
    stock_follows_sales(app, seller)
    run_catalog(app, shop.id)
    with app.app_context():
        settings = db.session.get(m.ProductSyncSettings, shop.id)
        settings.max_price_change_percent = 1000  # nothing held in this test
        db.session.commit()
    switch_on(app, shop.id, "sync_price", "sync_inventory")
    differing = {s.product.product_id for s in skus(app, shop.id) if s.differs}
    assert run_catalog(app, shop.id) == "succeeded"
    pushed_products = {(name, pid) for name, pid, _ in writes}
    assert {pid for _, pid in pushed_products} <= differing
    assert len(pushed_products) == len(writes)  # one call per product and field, never per SKU
    now = _tiktok(app, shop.id)
    for sku_id, (price, stock) in _linked_targets(app, shop.id).items():
        if now[sku_id][2] == "ACTIVATE":
            assert now[sku_id][:2] == (price, stock), sku_id
    done = [r for r in records(app) if r.state == m.DONE]
    assert done and len({(r.sku_pk, r.field, r.change_key) for r in done}) == len(done)

    calls = len(writes)
    assert run_catalog(app, shop.id) == "succeeded"  # nothing changed on Etsy: nothing to send
    assert len(writes) == calls
    failed = [r for r in records(app) if r.state == m.FAILED]
    assert all(r.message for r in failed)  # every refusal carries TikTok's reason


def test_faults_and_an_etsy_change_end_equal_to_etsy_and_each_change_is_sent_once(app, factories, sb, writes):
    point_app_at(app, sb)
    seller = factories.seller()
    shop = connect_both(app, sb, seller)
    stock_follows_sales(app, seller)
    run_catalog(app, shop.id)
    with app.app_context():
        db.session.get(m.ProductSyncSettings, shop.id).max_price_change_percent = 1000
        db.session.commit()
    switch_on(app, shop.id, "sync_price", "sync_inventory")
    run_catalog(app, shop.id)
    # Etsy changes: a SKU's stock goes up by 5
    target = next(
        s
        for s in skus(app, shop.id)
        if s.link_state == m.LINKED and not s.is_fbt and s.product.status == "ACTIVATE"
    )
    with app.app_context():
        connection = db.session.scalars(db.select(EtsyConnection)).first()
        etsy_client_for(connection).add_stock(target.etsy.listing_id, target.seller_sku, 5)
    sb.set_faults(
        rate_429=0.2, rate_500=0.2, rate_timeout=0.05, timeout_seconds=1.5, expire_token_after_calls=15
    )
    state = run_catalog(app, shop.id)
    sb.clear_faults()
    if state != "succeeded":  # a run that gave up after retries resumes: the next one finishes
        assert run_catalog(app, shop.id) == "succeeded"
    now = _tiktok(app, shop.id)
    for sku_id, (price, stock) in _linked_targets(app, shop.id).items():
        if now[sku_id][2] == "ACTIVATE":
            assert now[sku_id][:2] == (price, stock), sku_id
    sent = Counter((r.sku_pk, r.field, r.change_key) for r in records(app))
    assert max(sent.values()) == 1
    per_change = Counter()
    for name, _pid, sku_ids in writes:
        for sku_id in sku_ids:
            per_change[name, sku_id] += 1
    inventory_rows = [r for r in records(app) if r.field == m.INVENTORY and r.sku_id == target.sku_id]
    assert per_change["update_inventory", target.sku_id] == len(inventory_rows)  # one send per change


def test_product_webhooks_reread_the_product_and_ignore_our_own_edits(app, factories, sb):
    from types import SimpleNamespace

    from connector_app.products.webhooks import on_webhook

    point_app_at(app, sb)
    seller = factories.seller()
    shop = connect_both(app, sb, seller)
    run_catalog(app, shop.id)
    pending = next(s for s in skus(app, shop.id) if s.product.status == "PENDING")
    product_id = int(pending.product.product_id)  # TikTok's examples send it as a JSON number > 2**53
    with app.app_context():
        row = db.session.get(TikTokShop, shop.id)
        api = ProductApi(tiktok_client_for(row))
        ours = SimpleNamespace(
            event_type=15, payload={"data": {"product_id": product_id, "change_source": "OPEN_API"}}
        )
        assert on_webhook(ours, shop=row, seller_id=seller.id).startswith("ignored: our own edit")
        api.partial_edit(str(product_id), title="Reviewed and live")
    sb.advance_clock(31)  # TikTok's review passes; it tells us with an audit status webhook (37)
    with app.app_context():
        row = db.session.get(TikTokShop, shop.id)
        event = SimpleNamespace(event_type=37, payload={"data": {"product_id": product_id}})
        outcome = on_webhook(event, shop=row, seller_id=seller.id)
        assert outcome == f"product {product_id} re-read: ACTIVATE, review APPROVED"
        other = SimpleNamespace(event_type=1, payload={"data": {}})
        assert on_webhook(other, shop=row, seller_id=seller.id) is None  # not a product type
    [after] = [s for s in skus(app, shop.id) if s.id == pending.id]
    assert after.product.title == "Reviewed and live" and after.product.status == "ACTIVATE"


def test_every_push_call_of_a_run_is_an_entry_of_the_action_log(app, seller, logged_in, sb, writes):
    point_app_at(app, sb)
    shop = connect_both(app, sb, seller)
    stock_follows_sales(app, seller)
    run_catalog(app, shop.id)
    with app.app_context():
        settings = db.session.get(m.ProductSyncSettings, shop.id)
        settings.max_price_change_percent = 1000
        db.session.commit()
    switch_on(app, shop.id, "sync_price", "sync_inventory")
    assert run_catalog(app, shop.id) == "succeeded"
    assert writes
    html = logged_in.get("/actions?show=pushes").get_data(as_text=True)
    assert html.count('class="log-push"') == len(writes)  # one entry per TikTok call, never per SKU
    assert html.count("started by: You (Sync products now") == len(writes)
    sent = [r for r in records(app) if r.state in (m.DONE, m.FAILED)]
    assert sent and all(r.run_id for r in sent)  # every sent change names the run that sent it
    for record in sent:
        sku = next(s for s in skus(app, shop.id) if s.id == record.sku_pk)
        assert sku.seller_sku in html


def test_a_run_writes_its_phase_counts_as_it_goes(app, factories, sb, writes):
    from connector_app.products import progress
    from connector_app.sync.models import SyncRun

    point_app_at(app, sb)
    seller = factories.seller()
    shop = connect_both(app, sb, seller)
    stock_follows_sales(app, seller)
    run_catalog(app, shop.id)
    switch_on(app, shop.id, "sync_price", "sync_inventory")
    assert run_catalog(app, shop.id) == "succeeded"
    with app.app_context():
        runs = db.session.scalars(
            db.select(SyncRun)
            .where(SyncRun.tiktok_shop_id == shop.id, SyncRun.subject == "catalog")
            .order_by(SyncRun.created_at)
        ).all()
        first, last = (progress.counts(r) for r in (runs[0], runs[-1]))
        products = db.session.scalar(
            db.select(db.func.count(m.TikTokProduct.id)).where(m.TikTokProduct.tiktok_shop_id == shop.id)
        )
        described = progress.describe(runs[-1])
    # the first (full) run read every product and listing, and knew how many there were
    assert first["products_read"] == first["products_total"] == products
    assert first["listings_read"] == first["listings_total"] > 0
    assert last["compared"] == last["to_compare"] == products
    assert last["calls"] == len(writes) and last["done"] == sum(r.state == m.DONE for r in records(app))
    assert described.percent == 100 and "TikTok calls made" in described.summary


def test_a_daily_full_read_finds_what_the_high_water_mark_missed(app, factories, sb, monkeypatch):
    from datetime import timedelta

    from connector_app.marketplaces.etsy import catalog
    from connector_app.timeutil import ensure_aware, utcnow

    point_app_at(app, sb)
    seller = factories.seller()
    shop = connect_both(app, sb, seller)
    assert run_catalog(app, shop.id) == "succeeded"
    with app.app_context():
        settings = db.session.get(m.ProductSyncSettings, shop.id)
        assert settings.last_full_read_at is not None  # the first read is a full one
        first_full = settings.last_full_read_at
        # A change the mark cannot see: the mirror's stock of one Etsy SKU is wrong, and the mark is
        # past every listing's change time.
        wrong = db.session.scalars(db.select(m.EtsyCatalogSku).order_by(m.EtsyCatalogSku.id)).first()
        wrong_pk, truth = wrong.id, wrong.quantity
        wrong.quantity = truth + 40
        settings.etsy_high_water = 2**31 - 1
        db.session.commit()
    reads: list[int | None] = []
    original = catalog.changed_listings

    def spy(*args, since, **kwargs):
        reads.append(since)
        return original(*args, since=since, **kwargs)

    monkeypatch.setattr(catalog, "changed_listings", spy)
    assert run_catalog(app, shop.id) == "succeeded"
    with app.app_context():
        assert db.session.get(m.EtsyCatalogSku, wrong_pk).quantity == truth + 40  # missed by the mark
        settings = db.session.get(m.ProductSyncSettings, shop.id)
        assert settings.last_full_read_at == first_full
        settings.last_full_read_at = utcnow() - timedelta(hours=25)  # a day later
        settings.etsy_high_water = 2**31 - 1
        db.session.commit()
    assert None not in reads
    assert run_catalog(app, shop.id) == "succeeded"
    assert reads[-1] is None  # this run read every listing
    with app.app_context():
        assert db.session.get(m.EtsyCatalogSku, wrong_pk).quantity == truth  # found and corrected
        settings = db.session.get(m.ProductSyncSettings, shop.id)
        assert ensure_aware(settings.last_full_read_at) > utcnow() - timedelta(minutes=5)
