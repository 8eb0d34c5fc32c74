"""Exactly once across a killed worker, an unknown answer, racing workers and duplicate triggers: the
push ledger sends each change once; what cannot be confirmed becomes a visible task, never a second
write. Real clients against the sandbox; the "kill" is an exception no handler catches, raised at the
worst moments (after "sending" is committed, before or after TikTok applied the call)."""

from __future__ import annotations

import pytest
from sqlalchemy import insert

from connector_app.connect.models import TikTokShop
from connector_app.extensions import db
from connector_app.marketplaces.errors import ServerError
from connector_app.marketplaces.tiktok.products import ProductApi
from connector_app.products import jobs, push
from connector_app.products import models as m
from connector_app.sync import services
from connector_app.sync.models import SyncRun
from connector_app.transactions import job_step
from tests.products.helpers import connect_both, records, run_catalog, skus, switch_on
from tests.sync.helpers import point_app_at, sandbox_for

pytestmark = pytest.mark.integration


class Killed(BaseException):
    """SIGKILL stand-in: nothing in the job catches it, nothing after it runs."""


@pytest.fixture
def shop(app, factories):
    with sandbox_for(5, SANDBOX_ETSY_QPS=10_000) as sb:
        point_app_at(app, sb)
        seller = factories.seller()
        shop = connect_both(app, sb, seller)
        run_catalog(app, shop.id)  # read only
        with app.app_context():
            db.session.get(m.ProductSyncSettings, shop.id).max_price_change_percent = 1000
            db.session.commit()
        switch_on(app, shop.id, "sync_price")
        yield shop


def _run_directly(app, shop_pk: int) -> str:
    """Start a catalog run and execute its job in this thread (a kill propagates to the test)."""
    with app.app_context():
        with job_step():
            run = jobs.start_catalog_sync(db.session.get(TikTokShop, shop_pk), "manual")
            run_id, seller_id = run.id, run.seller_id
        try:
            return jobs.run_catalog_sync(seller_id, run_id)
        except Killed:
            db.session.rollback()
            with job_step():  # the scheduler later finds the worker gone and marks the run dead
                services.mark_dead(db.session.get(SyncRun, run_id))
            raise


def _spy(monkeypatch, behaviour):
    calls = []
    original = ProductApi.update_price

    def update_price(self, product_id, prices):
        calls.append((product_id, tuple(prices)))
        return behaviour(len(calls), lambda: original(self, product_id, prices))

    monkeypatch.setattr(ProductApi, "update_price", update_price)
    return calls


def _tiktok_price(app, shop_pk, product_id, sku_id):
    from connector_app.connect.clients import tiktok_client_for

    with app.app_context():
        product = ProductApi(tiktok_client_for(db.session.get(TikTokShop, shop_pk))).get_product(product_id)
    return next(s.price for s in product.skus if s.id == sku_id)


def test_killed_after_sending_before_tiktok_got_it_becomes_a_task_never_a_second_write(
    app, shop, monkeypatch
):
    def kill_first(n, send):
        if n == 1:
            raise Killed
        return send()

    calls = _spy(monkeypatch, kill_first)
    with pytest.raises(Killed):
        _run_directly(app, shop.id)
    [stuck] = [r for r in records(app) if r.state == m.SENDING]
    assert _run_directly(app, shop.id) == "succeeded"
    after = {r.id: r for r in records(app)}
    assert after[stuck.id].state == m.CHECK and "not sent again" in after[stuck.id].message
    assert all(stuck.sku_id not in skus_sent for _, skus_sent in calls[1:])  # never re-sent


def test_killed_after_tiktok_applied_is_confirmed_by_reading_back(app, shop, monkeypatch):
    def apply_then_kill(n, send):
        result = send()
        if n == 1:
            raise Killed
        return result

    calls = _spy(monkeypatch, apply_then_kill)
    with pytest.raises(Killed):
        _run_directly(app, shop.id)
    [stuck] = [r for r in records(app) if r.state == m.SENDING]
    sent_first = calls[0]
    assert _run_directly(app, shop.id) == "succeeded"
    row = next(r for r in records(app) if r.id == stuck.id)
    assert row.state == m.DONE and row.message == "confirmed by reading TikTok back"
    assert sum(1 for c in calls if c == sent_first) == 1
    assert str(_tiktok_price(app, shop.id, stuck.product_id, stuck.sku_id)) == stuck.target


@pytest.mark.parametrize("applied", [True, False])
def test_an_unknown_answer_is_verified_not_retried(app, shop, monkeypatch, applied):
    def answer_5xx(n, send):
        if n == 1:
            if applied:
                send()
            raise ServerError("HTTP 502", http_status=502, marketplace="TikTok Shop")
        return send()

    calls = _spy(monkeypatch, answer_5xx)
    assert _run_directly(app, shop.id) == "succeeded"
    first_skus = set(calls[0][1])
    rows = [r for r in records(app) if r.sku_id in first_skus]
    assert {r.state for r in rows} == ({m.DONE} if applied else {m.CHECK})
    assert all(first_skus.isdisjoint(s) for _, s in calls[1:])


def test_duplicate_triggers_and_racing_workers_send_each_change_once(app, shop, monkeypatch):
    calls = _spy(monkeypatch, lambda n, send: send())
    with app.app_context(), job_step():
        row = db.session.get(TikTokShop, shop.id)
        first = jobs.start_catalog_sync(row, "manual")
        again = jobs.start_catalog_sync(row, "etsy")  # a listings refresh fires meanwhile
        assert again.id == first.id  # one active run per shop and subject
    assert run_catalog(app, shop.id) == "succeeded"
    sent = [sku for _, s in calls for sku in s]
    assert len(sent) == len(set(sent))
    # two workers holding the same claimed change: only one moves it to "sending"
    target = next(s for s in skus(app, shop.id) if s.link_state == m.LINKED)
    with app.app_context():
        with job_step():
            db.session.execute(
                insert(m.PushRecord).values(
                    seller_id=target.seller_id, sku_pk=target.id, tiktok_shop_id=shop.id,
                    product_id="p", sku_id=target.sku_id, field=m.PRICE, change_key="race", target="1.00",
                    state=m.CLAIMED, attempts=0,
                )
            )  # fmt: skip
        record = db.session.scalars(db.select(m.PushRecord).filter_by(change_key="race")).one()
        assert push._claim(target.seller_id, record.id) is True
        assert push._claim(target.seller_id, record.id) is False
    assert len(calls) == len(set(calls))


@pytest.mark.slow  # real worker processes: in `make test` and CI, not in `make test-fast`
def test_a_sigkilled_worker_mid_push_leaves_nothing_sent_twice(app, shop):
    """A real worker process, SIGKILLed while a price call is on its way (the sandbox answers slowly)."""
    import time

    from tests.sync.test_faults import _forget_dead_worker, _kill_hard, _wait_for, _worker

    sb_url = app.config["TIKTOK_API_URL"]
    import requests

    requests.post(f"{sb_url}/_sandbox/faults", json={"latency_ms": 400}, timeout=5)
    with app.app_context(), job_step():
        run_id = jobs.start_catalog_sync(db.session.get(TikTokShop, shop.id), "manual").id
    worker = _worker(app)
    try:
        _wait_for(lambda: any(r.state == m.SENDING for r in records(app)), timeout=60)
    finally:
        _kill_hard(worker)
        _forget_dead_worker(app, worker.pid)
    requests.delete(f"{sb_url}/_sandbox/faults", timeout=5)
    stuck = [r for r in records(app) if r.state == m.SENDING]
    assert stuck
    time.sleep(0.5)  # the killed call may still land in the sandbox: exactly the unknown outcome
    with app.app_context(), job_step():
        services.mark_dead(db.session.get(SyncRun, run_id))  # what the scheduler's reaper does
    assert run_catalog(app, shop.id) == "succeeded"
    after = {r.id: r for r in records(app)}
    for row in stuck:
        assert after[row.id].state in (m.DONE, m.CHECK)
        assert after[row.id].attempts == 1  # claimed and sent once, never again
    keys = [(r.sku_pk, r.field, r.change_key) for r in after.values()]
    assert len(keys) == len(set(keys))


def test_a_held_price_jump_waits_for_the_seller_then_goes_once(app, shop, monkeypatch):
    calls = _spy(monkeypatch, lambda n, send: send())
    with app.app_context():
        db.session.get(m.ProductSyncSettings, shop.id).max_price_change_percent = 1
        db.session.commit()
    # a fresh change: TikTok's price of one linked SKU is far from Etsy's
    target = next(
        s for s in skus(app, shop.id) if s.link_state == m.LINKED and s.product.status == "ACTIVATE"
    )
    from connector_app.connect.clients import tiktok_client_for

    with app.app_context():
        api = ProductApi(tiktok_client_for(db.session.get(TikTokShop, shop.id)))
        from decimal import Decimal

        api.update_price(target.product.product_id, {target.sku_id: (Decimal("500.00"), target.currency)})
    calls.clear()
    assert _run_directly(app, shop.id) == "succeeded"
    held = [r for r in records(app) if r.state == m.HELD and r.sku_id == target.sku_id]
    assert len(held) == 1 and all(target.sku_id not in s for _, s in calls)
    with app.app_context(), job_step():
        push.confirm_held(target.seller_id, held[0].id)
    assert _run_directly(app, shop.id) == "succeeded"
    assert [r.state for r in records(app) if r.id == held[0].id] == [m.DONE]
    assert sum(target.sku_id in s for _, s in calls) == 1
