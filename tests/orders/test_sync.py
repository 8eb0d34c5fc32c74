"""Order sync and the order webhook, end to end against the sandbox marketplace (real client, real worker)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from connector_app.extensions import db
from connector_app.orders.models import FbtStock, Order, OrderLine
from connector_app.orders.sync import SUBJECT
from connector_app.sync import services
from connector_app.sync.models import SyncRun
from connector_app.transactions import job_step
from connector_app.webhooks.models import WebhookEvent
from tests.sync.helpers import connect_shop, point_app_at, sandbox_for, work
from tests.webhooks.test_webhooks import deliver, payload

pytestmark = pytest.mark.integration


def start(app, shop, full: bool = False) -> None:
    with app.app_context(), job_step():
        services.start_sync(db.session.get(type(shop), shop.id), full=full, subject=SUBJECT)


def stored(app, shop) -> dict[str, tuple[str, int]]:
    with app.app_context():
        rows = db.session.execute(
            select(Order.order_id, Order.status, Order.update_time).where(Order.shop_pk == shop.id)
        )
        return {r.order_id: (r.status, r.update_time) for r in rows}


def in_sandbox(sb, shop) -> dict[str, str]:
    return {o["id"]: o["status"] for o in sb._call("GET", "/orders", params={"shop_id": shop.shop_id})}


def test_full_then_incremental_sync_matches_the_marketplace(app, seller):
    with sandbox_for(30) as sb:
        point_app_at(app, sb)
        shop = connect_shop(app, sb, seller)
        start(app, shop)
        work(app)
        assert {k: v[0] for k, v in stored(app, shop).items()} == in_sandbox(sb, shop)
        with app.app_context():
            runs = db.session.scalars(select(SyncRun).where(SyncRun.subject == SUBJECT)).all()
            assert [(r.kind, r.state) for r in runs] == [("full", "succeeded")]
            lines = db.session.scalar(select(func.count()).select_from(OrderLine))
        dump = sb._call("GET", "/orders", params={"shop_id": shop.shop_id})
        assert lines == sum(len(o["line_items"]) for o in dump)  # one stored line per unit, none twice
        with app.app_context():
            assert db.session.scalar(select(func.count()).select_from(FbtStock)) > 0  # the US shop has FBT
        placed = sb._call(
            "POST", "/orders", json={"shop_id": shop.shop_id, "seller_sku": _a_sku(sb, shop), "units": 3}
        )
        start(app, shop)
        work(app)
        with app.app_context():
            kinds = [
                r.kind
                for r in db.session.scalars(
                    select(SyncRun).where(SyncRun.subject == SUBJECT).order_by(SyncRun.created_at)
                )
            ]
            order = db.session.scalars(select(Order).where(Order.order_id == placed["order_id"])).one()
            assert kinds == ["full", "incremental"]
            assert order.status == "ON_HOLD" and len(order.lines) == 3
        assert {k: v[0] for k, v in stored(app, shop).items()} == in_sandbox(sb, shop)


def _a_sku(sb, shop) -> str:
    return sb._call("GET", "/orders", params={"shop_id": shop.shop_id})[0]["line_items"][0][1]


def test_type_1_webhooks_refetch_the_order_in_one_batched_call(client, app, seller):
    with sandbox_for(10) as sb:
        point_app_at(app, sb)
        shop = connect_shop(app, sb, seller)
        sku = _a_sku(sb, shop)
        placed = [
            sb._call("POST", "/orders", json={"shop_id": shop.shop_id, "seller_sku": sku}) for _ in range(3)
        ]
        for item in placed:
            deliver(
                client,
                app,
                payload(1, shop.shop_id, order_id=item["order_id"], order_status="ON_HOLD", update_time=1),
            )
        cancelled = placed[0]["order_id"]
        sb._call("POST", f"/orders/{cancelled}/status", json={"status": "CANCELLED"})
        deliver(
            client, app, payload(1, shop.shop_id, order_id=cancelled, order_status="CANCEL", update_time=2)
        )
        work(app)
        detail_calls = [c for c in sb.state()["calls"] if c["path"] == "/order/202507/orders"]
        assert len(detail_calls) == 1  # four deliveries, three orders: one detail call
        got = stored(app, shop)
        assert got[cancelled][0] == "CANCELLED"
        assert {got[p["order_id"]][0] for p in placed[1:]} == {"ON_HOLD"}
        with app.app_context():
            outcomes = [e.outcome for e in db.session.scalars(select(WebhookEvent).order_by(WebhookEvent.id))]
        assert outcomes[0].startswith("3 order(s)") and all("with delivery" in o for o in outcomes[1:])


def test_fbt_inventory_webhook_finds_the_seller_by_open_id(client, app, seller):
    with sandbox_for(10) as sb:
        point_app_at(app, sb)
        shop = connect_shop(app, sb, seller)
        start(app, shop, full=True)
        work(app)
        with app.app_context():
            row = db.session.scalars(select(FbtStock)).first()
            sku_id, warehouse, open_id = row.sku_id, row.warehouse_id, shop.authorization.open_id
        body = {
            "type": 24,
            "tts_notification_id": "fbt-1",
            "seller_open_id": open_id,
            "timestamp": payload(24)["timestamp"],
            "data": {
                "sku_id": sku_id,
                "fbt_warehouse_inventory": [
                    {
                        "fbt_warehouse_id": warehouse,
                        "on_hand_detail": {
                            "total_quantity": 9,
                            "available_quantity": 7,
                            "reserved_quantity": 2,
                        },
                    }
                ],
            },
        }
        assert deliver(client, app, body).status_code == 200
        work(app)
        with app.app_context():
            row = db.session.scalars(select(FbtStock).where(FbtStock.sku_id == sku_id)).first()
            assert (row.available, row.reserved) == (7, 2)
            event = db.session.scalars(select(WebhookEvent)).one()
            assert event.seller_id == seller.id and "updated" in event.outcome


def test_a_page_is_stored_in_a_few_statements_whatever_its_size(app, factories, seller):
    """The write path is bulk: a page of 100 new orders, then the same page with every order changed
    (status and lines), each takes a fixed handful of statements — never one per order or line."""
    from dataclasses import replace

    from sqlalchemy import event

    from connector_app.connect.models import TikTokShop
    from connector_app.orders.services import upsert_orders
    from tests.orders.helpers import order

    shop = factories.tiktok_shop(seller)
    page = [order(f"5761{n:014d}", skus=("SKU-1", "SKU-2")) for n in range(100)]
    changed = [
        replace(o, status="AWAITING_COLLECTION", update_time=o.update_time + 60, tracking_number="TRK1")
        for o in page
    ]
    changed = [
        replace(o, lines=tuple(replace(line, tracking_number="TRK1") for line in o.lines)) for o in changed
    ]
    with app.app_context():
        statements: list[str] = []
        engine = db.engine

        def count(conn, cursor, statement, *args):
            statements.append(statement.split(None, 1)[0].upper())

        event.listen(engine, "before_cursor_execute", count)
        try:
            row = db.session.get(TikTokShop, shop.id)
            before = len(statements)
            first = upsert_orders(row, page)
            inserted = len(statements) - before
            again = upsert_orders(row, changed)
            updated = len(statements) - before - inserted
            db.session.commit()
        finally:
            event.remove(engine, "before_cursor_execute", count)
        assert (first.created, again.updated, len(again.changed_pks)) == (100, 100, 100)
        assert inserted <= 4 and updated <= 6, statements
        assert (
            db.session.scalar(
                select(func.count()).select_from(OrderLine).where(OrderLine.tracking_number == "TRK1")
            )
            == 200
        )
        assert {o.status for o in db.session.scalars(select(Order))} == {"AWAITING_COLLECTION"}
        history = db.session.scalars(select(Order.history)).first()
        assert [status for status, _ in history] == ["AWAITING_SHIPMENT", "AWAITING_COLLECTION"]


def test_a_first_sync_refreshes_the_planner_statistics_at_growing_steps(app):
    from connector_app.orders.sync import _statistics_due, refresh_statistics

    assert [_statistics_due(a, b) for a, b in ((0, 100), (900, 1000), (1000, 1100), (3990, 4090))] == [
        False,
        True,
        False,
        True,
    ]
    with app.app_context():
        refresh_statistics()  # PostgreSQL: ANALYZE inside the page's transaction; elsewhere nothing
        db.session.commit()
