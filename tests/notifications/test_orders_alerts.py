"""Alerts of the orders feature: a seller-fulfilled order near its ship-by time (per threshold, like
request deadlines) and an Etsy stock write that needs the seller (a stock move in ``check`` or
``no_match``). Once per (seller, subject, kind, deadline, stage) across repeated and racing scans; an
order shipped before the scan gets none; another seller never sees it; the links open the order."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from connector_app.extensions import db
from connector_app.orders import models as om
from connector_app.timeutil import utcnow
from tests.fixtures.factories import PASSWORD
from tests.notifications.conftest import HOUR, by_kind, deliveries, notifications, now_unix, tick
from tests.orders.helpers import order, store

SHIP_BY, STOCK = "ship_by_near", "etsy_stock_check"


def _order_pk(app, order_id: str) -> int:
    with app.app_context():
        return db.session.scalar(select(om.Order.id).where(om.Order.order_id == order_id))


def _move(app, seller_id: int, order_pk: int, state: str, sku: str = "SKU-1") -> int:
    with app.app_context():
        move = om.StockMove(
            seller_id=seller_id, order_pk=order_pk, sku=sku, direction=om.SALE, quantity=1,
            listing_id="1500012345", state=om.CLAIMED,
        )  # fmt: skip
        db.session.add(move)
        db.session.commit()
        move.state = state
        move.message = "Etsy answered 503" if state == om.CHECK else None
        db.session.commit()
        return move.id


@pytest.fixture
def seller_client(client, auth, verified):
    assert auth.login(verified.email, PASSWORD).status_code == 302
    return client


def test_an_order_near_its_ship_by_time_is_one_alert_per_threshold(app, shop):
    now = utcnow()
    ship_by = int(now.timestamp()) + 10 * HOUR
    store(app, shop, order("576000000000000001", rts_sla_time=ship_by))
    pk = _order_pk(app, "576000000000000001")
    tick(app, now)
    tick(app, now + timedelta(minutes=1))
    [first] = notifications(app)
    assert (first.kind, first.stage, first.deadline) == (SHIP_BY, 24, ship_by)
    assert first.title == "24 h left to ship order 576000000000000001"
    assert first.link == f"/orders/{pk}" and "Harbor Goods (US)" in first.body
    tick(app, now + 7 * timedelta(hours=1))  # 3 h left: the 4 h threshold is crossed
    tick(app, now + 7 * timedelta(hours=1) + timedelta(minutes=1))
    rows = by_kind(notifications(app), SHIP_BY)
    assert [(n.stage, n.deadline) for n in rows] == [(24, ship_by), (4, ship_by)]
    assert len(deliveries(app)) == 2  # emailed right away, once each


def test_shipped_fbt_and_far_orders_get_none(app, shop):
    soon = now_unix() + 3 * HOUR
    store(
        app,
        shop,
        order("576000000000000002", status="AWAITING_COLLECTION", rts_sla_time=soon),  # shipped already
        order("576000000000000003", fulfillment_type="FULFILLMENT_BY_TIKTOK", rts_sla_time=soon),  # FBT
        order("576000000000000004", rts_sla_time=now_unix() + 40 * HOUR),  # not inside a threshold yet
    )
    report = tick(app)
    assert by_kind(notifications(app), SHIP_BY) == []
    assert report.rows_read["orders"] <= 1  # the awaiting seller-fulfilled one only
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            plan = " ".join(
                str(row[-1])
                for row in db.session.execute(
                    text(
                        "EXPLAIN QUERY PLAN SELECT id FROM orders WHERE tab = 'awaiting_shipment' "
                        "AND is_fbt = 0 AND rts_sla_time > 1 AND rts_sla_time <= 2"
                    )
                )
            )
            assert "ix_orders_tab_fbt_ship_by" in plan, plan


def test_an_order_shipped_before_its_threshold_passes_gets_no_alert(app, shop):
    now = utcnow()
    ship_by = int(now.timestamp()) + 30 * HOUR
    store(app, shop, order("576000000000000005", rts_sla_time=ship_by, update_time=1_900_000_100))
    tick(app, now)
    store(app, shop, order("576000000000000005", status="AWAITING_COLLECTION", rts_sla_time=ship_by,
                           update_time=1_900_000_200))  # fmt: skip
    tick(app, now + timedelta(hours=7))  # 23 h left: it would have crossed 24 h
    assert notifications(app) == []


def test_an_etsy_stock_write_needing_the_seller_is_one_alert_per_move(app, shop):
    store(app, shop, order("576000000000000006", rts_sla_time=now_unix() + 60 * HOUR))
    pk = _order_pk(app, "576000000000000006")
    check = _move(app, shop.seller_id, pk, om.CHECK)
    missing = _move(app, shop.seller_id, pk, om.NO_MATCH, sku="SKU-9")
    _move(app, shop.seller_id, pk, om.DONE, sku="SKU-2")
    for _ in range(3):
        tick(app)
    rows = by_kind(notifications(app), STOCK)
    assert sorted(int(n.subject_id) for n in rows) == sorted([check, missing])
    assert {n.link for n in rows} == {f"/orders/{pk}"}
    [c] = [n for n in rows if int(n.subject_id) == check]
    assert "could not confirm" in c.body and "Etsy answered 503" in c.body
    [m] = [n for n in rows if int(n.subject_id) == missing]
    assert m.title == "No Etsy listing has SKU SKU-9 (order 576000000000000006)"


def test_a_move_confirmed_before_the_scan_gets_none(app, shop):
    store(app, shop, order("576000000000000007", rts_sla_time=now_unix() + 60 * HOUR))
    pk = _order_pk(app, "576000000000000007")
    move = _move(app, shop.seller_id, pk, om.SENDING)  # verified done before the scan
    with app.app_context():
        db.session.get(om.StockMove, move).state = om.DONE
        db.session.commit()
    tick(app)
    assert notifications(app) == []


def test_another_seller_never_sees_it_and_the_links_are_theirs_alone(app, factories, shop, seller_client):
    other = factories.seller(email="other@shop.example")
    other_shop = factories.tiktok_shop(other, name="Other Goods")
    soon = now_unix() + 3 * HOUR
    store(app, shop, order("576000000000000008", rts_sla_time=soon))
    store(app, other_shop, order("576000000000000009", rts_sla_time=soon))
    their_pk = _order_pk(app, "576000000000000009")
    _move(app, other.id, their_pk, om.CHECK)
    tick(app)
    [mine] = notifications(app, shop.seller_id)
    theirs = notifications(app, other.id)
    assert sorted(n.kind for n in theirs) == [STOCK, SHIP_BY]
    page = seller_client.get("/notifications").get_data(as_text=True)
    assert "576000000000000008" in page and "576000000000000009" not in page
    assert seller_client.get(mine.link).status_code == 200
    for alert in theirs:
        assert seller_client.get(alert.link).status_code == 404
        assert seller_client.post_form(f"/notifications/{alert.id}/open").status_code == 404
    opened = seller_client.post_form(f"/notifications/{mine.id}/open")
    assert opened.status_code == 303 and opened.headers["Location"] == mine.link


@pytest.mark.slow
def test_racing_scanners_in_separate_processes_raise_each_alert_once(app, shop, tmp_path):
    from tests.notifications.mail_backend import sent_files
    from tests.notifications.test_exactly_once import _child, _env, _run_all

    soon = now_unix() + 3 * HOUR
    ids = [f"57600000000000010{n}" for n in range(3)]
    store(app, shop, *[order(oid, rts_sla_time=soon) for oid in ids])
    pk = _order_pk(app, ids[0])
    move = _move(app, shop.seller_id, pk, om.CHECK)
    maildir = tmp_path / "mail"
    maildir.mkdir()
    env = _env(app, maildir, ALERT_TEST_START_AT=str(time.time() + 8))
    _run_all([_child("tick", "3") for _ in range(3)], env)
    rows = notifications(app)
    assert sorted(n.kind for n in rows) == [STOCK] + [SHIP_BY] * 3
    assert [int(n.subject_id) for n in by_kind(rows, STOCK)] == [move]
    files = [f.split("Content-Type: text/html")[0] for f in sent_files(maildir)]
    for oid in ids:  # each order's ship-by alert in exactly one email
        assert sum(f.count(f"{oid} ·") for f in files) == 1
