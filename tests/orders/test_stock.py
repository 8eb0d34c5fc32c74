"""Etsy stock follows TikTok sales exactly once (Etsy stubbed by a fake that keeps Etsy's rules)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from connector_app.extensions import db
from connector_app.orders import stock
from connector_app.orders.jobs import sweep_stock
from connector_app.orders.models import ListingHold, Order, StockMove
from connector_app.timeutil import utcnow
from tests.actions.helpers import run_jobs
from tests.orders.helpers import LISTING, order, store


def moves(app) -> list[tuple[str, str, int, str]]:
    with app.app_context():
        return [
            (m.direction, m.sku, m.quantity, m.state)
            for m in db.session.scalars(select(StockMove).order_by(StockMove.id))
        ]


def test_a_paid_order_reduces_etsy_once_whatever_repeats(app, shop, etsy):
    paid = order(skus=("SKU-2", "SKU-2", "SKU-1"))  # two units of SKU-2 are two line items
    store(app, shop, replace(paid, status="UNPAID", paid_time=None, update_time=1_900_000_000))
    run_jobs(app)
    assert etsy.puts == 0  # not paid yet
    for _ in range(3):  # the sync, a webhook re-fetch and a duplicated webhook all store it
        store(app, shop, paid)
    run_jobs(app)
    store(app, shop, replace(paid, status="AWAITING_COLLECTION", update_time=1_900_000_500))
    run_jobs(app)
    with app.app_context():
        sweep_stock()
    run_jobs(app)
    assert etsy.stock == {"SKU-1": 1, "SKU-2": 3}
    assert etsy.puts == 1  # one write for the listing: the order's SKUs batched
    assert moves(app) == [("sale", "SKU-1", 1, "done"), ("sale", "SKU-2", 2, "done")]


def test_cancelled_before_shipping_puts_it_back_once(app, shop, etsy):
    paid = order(skus=("SKU-2",))
    store(app, shop, paid)
    run_jobs(app)
    cancelled = replace(paid, status="CANCELLED", update_time=1_900_001_000, cancel_time=1_900_001_000)
    store(app, shop, cancelled)
    store(app, shop, cancelled)
    store(app, shop, paid)  # an older snapshot arriving late changes nothing
    run_jobs(app)
    assert etsy.stock == {"SKU-1": 2, "SKU-2": 5}
    assert moves(app) == [("sale", "SKU-2", 1, "done"), ("restore", "SKU-2", 1, "done")]


def test_cancelled_before_the_write_writes_nothing_at_all(app, shop, etsy):
    paid = order(skus=("SKU-2",))
    store(app, shop, paid)  # the sale is decided; its job has not run yet
    store(app, shop, replace(paid, status="CANCELLED", update_time=1_900_001_000))
    run_jobs(app)
    assert etsy.puts == 0 and etsy.stock == {"SKU-1": 2, "SKU-2": 5}
    assert moves(app) == [("sale", "SKU-2", 1, "skipped")]


def test_cancelled_after_shipping_is_not_put_back(app, shop, etsy):
    paid = order(skus=("SKU-2",))
    store(app, shop, paid)
    run_jobs(app)
    store(app, shop, replace(paid, status="AWAITING_COLLECTION", update_time=1_900_000_700))
    store(app, shop, replace(paid, status="CANCELLED", update_time=1_900_001_000))  # US: cancelled in transit
    run_jobs(app)
    assert etsy.stock["SKU-2"] == 4
    assert [m[0] for m in moves(app)] == ["sale"]


def test_fbt_orders_and_orders_paid_before_the_switch_never_touch_etsy(app, shop, etsy):
    fbt = order("576000000000000002", fulfillment_type="FULFILLMENT_BY_TIKTOK", skus=("SKU-2",))
    old = order("576000000000000003", skus=("SKU-2",), paid_time=1_700_000_000)
    store(app, shop, fbt, old)
    run_jobs(app)
    with app.app_context():
        sweep_stock()
    run_jobs(app)
    assert etsy.puts == 0 and moves(app) == []


def test_selling_the_last_units_deactivates_and_a_cancellation_reactivates(app, shop, etsy):
    etsy.stock = {"SKU-1": 1, "SKU-2": 0}
    paid = order(skus=("SKU-1",))
    store(app, shop, paid)
    run_jobs(app)
    assert etsy.state == "inactive" and etsy.effective() == {"SKU-1": 0, "SKU-2": 0}
    assert etsy.puts == 0  # Etsy refuses an inventory of 0: the listing was deactivated instead
    with app.app_context():
        assert db.session.scalars(select(ListingHold)).one().held == {"SKU-1": 1, "SKU-2": 0}
    store(app, shop, replace(paid, status="CANCELLED", update_time=1_900_001_000))
    run_jobs(app)
    assert etsy.state == "active" and etsy.effective() == {"SKU-1": 1, "SKU-2": 0}


def test_a_sku_without_an_etsy_listing_is_a_task_and_needs_attention(app, shop, etsy, logged_in):
    store(app, shop, order(skus=("NOPE-9",)))
    run_jobs(app)
    assert moves(app) == [("sale", "NOPE-9", 1, "no_match")]
    page = logged_in.get("/orders?tab=attention").get_data(as_text=True)
    assert "576000000000000001" in page
    with app.app_context():
        pk = db.session.scalar(select(Order.id))
        move_id = db.session.scalar(select(StockMove.id))
    assert "No Etsy listing has SKU NOPE-9" in logged_in.get(f"/orders/{pk}").get_data(as_text=True)
    answer = logged_in.post_form(f"/orders/moves/{move_id}/handled")
    assert answer.status_code == 303
    assert moves(app) == [("sale", "NOPE-9", 1, "done")]
    assert "576000000000000001" not in logged_in.get("/orders?tab=attention").get_data(as_text=True)


def _age_sending(app) -> None:
    with app.app_context():
        db.session.execute(update(StockMove).values(sending_at=utcnow() - timedelta(hours=1)))
        db.session.commit()


def test_killed_after_the_write_is_verified_and_never_written_again(app, shop, etsy, monkeypatch):
    """SIGKILL between Etsy's answer and our record: the move stays ``sending`` (committed before the
    call); the sweep reads Etsy, finds the target and marks it done without a second write."""
    from connector_app.marketplaces.etsy.client import EtsyClient

    real = EtsyClient.update_listing_inventory

    def write_then_die(self, listing_id, inventory):
        real(self, listing_id, inventory)
        raise SystemExit("killed")

    monkeypatch.setattr(EtsyClient, "update_listing_inventory", write_then_die)
    store(app, shop, order(skus=("SKU-2",)))
    with pytest.raises(SystemExit):
        run_jobs(app)
    monkeypatch.setattr(EtsyClient, "update_listing_inventory", real)
    assert moves(app) == [("sale", "SKU-2", 1, "sending")]
    with app.app_context():
        sweep_stock()
    run_jobs(app)
    assert moves(app) == [("sale", "SKU-2", 1, "sending")]  # too recent: it may still be in flight
    _age_sending(app)
    with app.app_context():
        sweep_stock()
    run_jobs(app)
    assert moves(app) == [("sale", "SKU-2", 1, "done")]
    assert etsy.puts == 1 and etsy.stock["SKU-2"] == 4


def test_killed_before_the_write_landed_is_sent_once_after_confirming_it(app, shop, etsy, monkeypatch):
    """Killed before the PUT reached Etsy: the stock and the listing's last-modified time are unchanged,
    so it did not land; it goes back to ``claimed`` and is written once."""
    from connector_app.marketplaces.etsy.client import EtsyClient

    def die(self, listing_id, inventory):
        raise SystemExit("killed before sending")

    monkeypatch.setattr(EtsyClient, "update_listing_inventory", die)
    store(app, shop, order(skus=("SKU-2",)))
    with pytest.raises(SystemExit):
        run_jobs(app)
    monkeypatch.undo()
    _age_sending(app)
    with app.app_context():
        sweep_stock()
    run_jobs(app)
    assert moves(app) == [("sale", "SKU-2", 1, "done")]
    assert etsy.puts == 1 and etsy.stock["SKU-2"] == 4


def test_an_interrupted_write_that_cannot_be_told_apart_is_a_task(app, shop, etsy, monkeypatch):
    """Interrupted, and meanwhile the seller edited the listing on Etsy: neither at the target nor as
    before — a task with the numbers, never a second write."""
    from connector_app.marketplaces.etsy.client import EtsyClient

    def die(self, listing_id, inventory):
        raise SystemExit("killed")

    monkeypatch.setattr(EtsyClient, "update_listing_inventory", die)
    store(app, shop, order(skus=("SKU-2",)))
    with pytest.raises(SystemExit):
        run_jobs(app)
    monkeypatch.undo()
    etsy.stock["SKU-2"], etsy.updated = 7, etsy.updated + 1  # the seller restocked by hand
    _age_sending(app)
    with app.app_context():
        sweep_stock()
    run_jobs(app)
    assert moves(app) == [("sale", "SKU-2", 1, "check")]
    assert etsy.puts == 0 and etsy.stock["SKU-2"] == 7


def test_an_etsy_500_is_read_back_at_once_and_written_once(app, shop, etsy):
    etsy.fail_put_before_write = 1
    store(app, shop, order(skus=("SKU-2",)))
    run_jobs(app)
    assert moves(app) == [("sale", "SKU-2", 1, "done")]
    assert etsy.puts == 1 and etsy.stock["SKU-2"] == 4


def test_a_timeout_after_the_write_is_not_retried(app, shop, etsy):
    etsy.fail_put_after_write = 1
    store(app, shop, order(skus=("SKU-2",)))
    run_jobs(app)
    assert etsy.puts == 1 and moves(app) == [("sale", "SKU-2", 1, "sending")]
    _age_sending(app)
    with app.app_context():
        sweep_stock()
    run_jobs(app)
    assert etsy.puts == 1 and moves(app) == [("sale", "SKU-2", 1, "done")]


def test_two_workers_racing_write_once(app, shop, etsy):
    store(app, shop, order(skus=("SKU-2",)))
    with app.app_context():
        seller_id = db.session.scalar(select(Order.seller_id))
        stock.process_listing(seller_id, LISTING)
        stock.process_listing(seller_id, LISTING)
    run_jobs(app)  # the queued job finds nothing left to do
    assert etsy.puts == 1 and etsy.stock["SKU-2"] == 4


def test_a_line_that_changes_is_stored_again_not_twice(app, shop, etsy):
    paid = order(skus=("SKU-1",))
    store(app, shop, paid)
    shipped = replace(
        paid,
        status="AWAITING_COLLECTION",
        update_time=1_900_000_900,
        lines=(replace(paid.lines[0], tracking_number="T1"),),
    )
    store(app, shop, shipped)
    with app.app_context():
        row = db.session.scalars(select(Order)).one()
        assert [(line.line_id, line.tracking_number) for line in row.lines] == [(paid.lines[0].id, "T1")]


def test_a_cancellation_seen_only_after_it_shipped_is_not_put_back(app, shop, etsy):
    paid = order(skus=("SKU-2",))
    store(app, shop, paid)
    run_jobs(app)
    # the shipped state was never seen (a missed webhook), but TikTok shows the package's tracking
    shipped_line = replace(paid.lines[0], tracking_number="TRK-9", package_id="77")
    store(app, shop, replace(paid, status="CANCELLED", update_time=1_900_009_000, lines=(shipped_line,)))
    run_jobs(app)
    assert etsy.stock["SKU-2"] == 4 and [m[0] for m in moves(app)] == ["sale"]
