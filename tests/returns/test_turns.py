"""Seller turns: every period in which a request waited on the seller, and how it ended.

Written by the one writer of requests (``upsert_requests``, in bulk) and by the action path when a
decision succeeds (``record_answer``); read by the features above returns.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from flask_migrate import upgrade
from sqlalchemy import event, select, text
from sqlalchemy.engine import Engine

from connector_app import create_app
from connector_app.config import TestConfig
from connector_app.extensions import db
from connector_app.returns.models import (
    ANSWERED_HERE,
    CHANGED_ELSEWHERE,
    DECIDED_BY_TIKTOK,
    ReturnRequest,
    SellerTurn,
)
from connector_app.returns.services import upsert_requests
from connector_app.returns.turns import record_answer
from connector_app.timeutil import utcnow
from tests.core.test_migrations import _fresh_database_url

PENDING = "RETURN_OR_REFUND_REQUEST_PENDING"
RESPOND_RETURN = "SELLER_RESPOND_RETURN"
T0 = 1_767_225_600  # TikTok's clock in these tests
HOUR = 3600


@pytest.fixture
def shop(factories, seller):
    return factories.tiktok_shop(seller, name="Main Street", region="US")


def waiting(factories, request_id="576800000000000001", *, at=T0, deadline=T0 + 48 * HOUR, **fields):
    fields.setdefault("status", PENDING)
    fields.setdefault("next_action", RESPOND_RETURN)
    return factories.aftersale(request_id=request_id, update_time=at, deadline=deadline, **fields)


def moved_on(factories, request_id="576800000000000001", *, at, status, total="25.00", **fields):
    return factories.aftersale(request_id=request_id, update_time=at, status=status, total=total, **fields)


def turns(app, request_id="576800000000000001") -> list[SellerTurn]:
    with app.app_context():
        query = (
            select(SellerTurn)
            .join(ReturnRequest, ReturnRequest.id == SellerTurn.request_pk)
            .where(ReturnRequest.request_id == request_id)
            .order_by(SellerTurn.id)
        )
        rows = db.session.scalars(query).all()
        db.session.expunge_all()
        return rows


def test_a_request_that_waits_on_the_seller_opens_a_turn_with_its_deadline(app, factories, shop):
    factories.returns(shop, [waiting(factories)])
    factories.returns(shop, [factories.aftersale(status="RETURN_OR_REFUND_REQUEST_COMPLETE")])

    [turn] = turns(app)
    assert turn.is_open and turn.seller_id == shop.seller_id
    assert (turn.action, turn.start_status, turn.started_at) == (RESPOND_RETURN, PENDING, T0)
    assert turn.first_deadline == turn.deadline == T0 + 48 * HOUR
    assert turn.opened_by == "sync" and turn.outcome is None


def test_the_same_page_twice_and_an_older_snapshot_change_nothing(app, factories, shop):
    factories.returns(shop, [waiting(factories, at=T0 + 10)])
    factories.returns(shop, [waiting(factories, at=T0 + 10)])
    factories.returns(shop, [moved_on(factories, at=T0 + 5, status="AWAITING_BUYER_SHIP")])  # older
    [turn] = turns(app)
    assert turn.is_open and turn.started_at == T0 + 10


def test_a_moved_deadline_stays_the_same_turn(app, factories, shop):
    factories.returns(shop, [waiting(factories)])
    factories.returns(shop, [waiting(factories, at=T0 + HOUR, deadline=T0 + 20 * HOUR)], source="webhook")
    [turn] = turns(app)
    assert turn.is_open
    assert (turn.first_deadline, turn.deadline) == (T0 + 48 * HOUR, T0 + 20 * HOUR)
    assert turn.updated_at > turn.recorded_at  # readers catching up on changes see the move


def test_answered_on_tiktok_before_the_deadline_is_changed_elsewhere(app, factories, shop):
    factories.returns(shop, [waiting(factories)])
    factories.returns(shop, [moved_on(factories, at=T0 + 5 * HOUR, status="AWAITING_BUYER_SHIP")], "webhook")
    [turn] = turns(app)
    assert (turn.outcome, turn.end_status, turn.ended_at) == (
        CHANGED_ELSEWHERE,
        "AWAITING_BUYER_SHIP",
        T0 + 5 * HOUR,
    )
    assert turn.closed_by == "webhook" and turn.closed_recorded_at is not None


def test_a_buyer_who_withdraws_ends_the_turn_with_the_cancel_status(app, factories, shop):
    factories.returns(shop, [waiting(factories)])
    factories.returns(shop, [moved_on(factories, at=T0 + HOUR, status="RETURN_OR_REFUND_REQUEST_CANCEL")])
    [turn] = turns(app)
    assert (turn.outcome, turn.end_status) == (CHANGED_ELSEWHERE, "RETURN_OR_REFUND_REQUEST_CANCEL")


def test_moving_on_after_the_deadline_is_decided_by_tiktok_with_what_it_cost(app, factories, shop):
    factories.returns(shop, [waiting(factories, total="80.00", currency="GBP")])
    late = moved_on(
        factories,
        at=T0 + 48 * HOUR + 60,
        status="RETURN_OR_REFUND_REQUEST_SUCCESS",
        total="80.00",
        currency="GBP",
    )
    factories.returns(shop, [late])
    [turn] = turns(app)
    assert turn.outcome == DECIDED_BY_TIKTOK
    assert turn.end_status == "RETURN_OR_REFUND_REQUEST_SUCCESS"
    assert (turn.refund_total, turn.currency) == (Decimal("80.00"), "GBP")


def test_a_moved_deadline_decides_how_the_turn_ended(app, factories, shop):
    """TikTok extended the deadline: a change after the first deadline but before the new one is not
    TikTok deciding."""
    factories.returns(shop, [waiting(factories, deadline=T0 + 10 * HOUR)])
    factories.returns(shop, [waiting(factories, at=T0 + HOUR, deadline=T0 + 30 * HOUR)])
    factories.returns(shop, [moved_on(factories, at=T0 + 20 * HOUR, status="AWAITING_BUYER_SHIP")])
    [turn] = turns(app)
    assert turn.outcome == CHANGED_ELSEWHERE and turn.deadline == T0 + 30 * HOUR


def test_a_new_action_is_a_new_turn(app, factories, shop):
    """Approved, the buyer ships the parcel back: confirming its receipt is the seller's next turn."""
    factories.returns(shop, [waiting(factories)])
    factories.returns(shop, [moved_on(factories, at=T0 + HOUR, status="AWAITING_BUYER_SHIP")])
    shipped = waiting(
        factories,
        at=T0 + 50 * HOUR,
        deadline=T0 + 98 * HOUR,
        status="BUYER_SHIPPED_ITEM",
        next_action="SELLER_RESPOND_RECEIVE_PACKAGE",
    )
    factories.returns(shop, [shipped])
    first, second = turns(app)
    assert first.outcome == CHANGED_ELSEWHERE
    assert second.is_open and second.action == "SELLER_RESPOND_RECEIVE_PACKAGE"
    assert (second.started_at, second.deadline) == (T0 + 50 * HOUR, T0 + 98 * HOUR)


def test_a_different_action_in_one_step_closes_one_turn_and_opens_the_next(app, factories, shop):
    factories.returns(shop, [waiting(factories)])
    factories.returns(
        shop,
        [
            waiting(
                factories,
                at=T0 + HOUR,
                status="BUYER_SHIPPED_ITEM",
                next_action="SELLER_RESPOND_RECEIVE_PACKAGE",
            )
        ],
    )
    first, second = turns(app)
    assert (first.outcome, first.ended_at) == (CHANGED_ELSEWHERE, T0 + HOUR)
    assert second.is_open and second.started_at == T0 + HOUR


def test_a_request_first_seen_after_it_was_handled_has_no_turn(app, factories, shop):
    factories.returns(shop, [moved_on(factories, at=T0, status="RETURN_OR_REFUND_REQUEST_COMPLETE")])
    assert turns(app) == []


def test_a_decision_through_the_app_is_answered_here(app, factories, shop):
    factories.returns(shop, [waiting(factories)])
    with app.app_context():
        request = db.session.scalars(select(ReturnRequest)).one()
        claimed = utcnow()
        turn = record_answer(shop.seller_id, request.id, "APPROVE_RETURN", claimed)
        assert turn is not None and turn.is_open  # answered, not moved on yet: no alert may go out
        upsert_requests(
            shop, [moved_on(factories, at=T0 + HOUR, status="AWAITING_BUYER_SHIP")], source="action"
        )
        db.session.commit()
    [turn] = turns(app)
    assert (turn.outcome, turn.answer, turn.closed_by) == (ANSWERED_HERE, "APPROVE_RETURN", "action")
    assert turn.answered_at is not None


def test_a_decision_whose_webhook_was_stored_first_is_still_answered_here(app, factories, shop):
    """TikTok's status-change webhook may be processed before the decision job records TikTok's
    answer: the close was the decision's doing."""
    factories.returns(shop, [waiting(factories)])
    claimed = utcnow()
    factories.returns(shop, [moved_on(factories, at=T0 + HOUR, status="AWAITING_BUYER_SHIP")], "webhook")
    with app.app_context():
        request = db.session.scalars(select(ReturnRequest)).one()
        record_answer(shop.seller_id, request.id, "APPROVE_RETURN", claimed)
        db.session.commit()
    [turn] = turns(app)
    assert turn.outcome == ANSWERED_HERE and turn.closed_by == "webhook"


def test_a_decision_never_claims_a_turn_that_ended_before_it_or_began_after_it(app, factories, shop):
    factories.returns(shop, [waiting(factories)])
    factories.returns(shop, [moved_on(factories, at=T0 + HOUR, status="AWAITING_BUYER_SHIP")])
    with app.app_context():
        request = db.session.scalars(select(ReturnRequest)).one()
        later = utcnow() + timedelta(seconds=5)
        assert record_answer(shop.seller_id, request.id, "APPROVE_RETURN", later) is None
        earlier = utcnow() - timedelta(hours=1)
        assert record_answer(shop.seller_id, request.id, "APPROVE_RETURN", earlier) is None
        db.session.commit()
    [turn] = turns(app)
    assert turn.outcome == CHANGED_ELSEWHERE


def test_another_sellers_decision_touches_nothing(app, factories, shop):
    other = factories.seller()
    factories.returns(shop, [waiting(factories)])
    with app.app_context():
        request = db.session.scalars(select(ReturnRequest)).one()
        assert record_answer(other.id, request.id, "APPROVE_RETURN", utcnow()) is None


class Statements:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, *args) -> None:
        self.count += 1


def _statements_for(app, shop, items) -> int:
    counter = Statements()
    with app.app_context():
        event.listen(Engine, "before_cursor_execute", counter)
        try:
            upsert_requests(db.session.merge(shop), items)
        finally:
            event.remove(Engine, "before_cursor_execute", counter)
        db.session.commit()
    return counter.count


def test_turns_are_written_in_bulk_whatever_the_page_size(app, factories, shop):
    """Opening, closing and moving turns costs the same few statements for 3 requests as for 51."""
    small = [waiting(factories, f"57681{n:013d}") for n in range(3)]
    big = [waiting(factories, f"57682{n:013d}") for n in range(51)]
    assert _statements_for(app, shop, small) == _statements_for(app, shop, big)

    def next_page(ids, n):
        return [
            waiting(
                factories,
                rid,
                at=T0 + HOUR,
                status="BUYER_SHIPPED_ITEM",
                next_action="SELLER_RESPOND_RECEIVE_PACKAGE",
            )
            if i % 3 == 0
            else waiting(factories, rid, at=T0 + HOUR, deadline=T0 + 20 * HOUR)
            if i % 3 == 1
            else moved_on(factories, rid, at=T0 + HOUR, status="AWAITING_BUYER_SHIP")
            for i, rid in enumerate(ids[:n])
        ]

    # A third of each page waits for a new action, a third has its deadline moved, a third moved on.
    small_next = next_page([i.request_id for i in small], 3)
    big_next = next_page([i.request_id for i in big], 51)
    assert _statements_for(app, shop, small_next) == _statements_for(app, shop, big_next)
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(SellerTurn)) == 54 + 1 + 17
        assert db.session.scalar(select(db.func.count()).where(SellerTurn.ended_at.is_(None))) == 2 + 34
        moved = select(db.func.count()).where(SellerTurn.deadline == T0 + 20 * HOUR)
        assert db.session.scalar(moved) == 1 + 17


def _plan(sql: str, **params) -> str:
    dialect = db.session.get_bind().dialect.name
    prefix = "EXPLAIN QUERY PLAN " if dialect == "sqlite" else "EXPLAIN "
    return "\n".join(str(row[-1]) for row in db.session.execute(text(prefix + sql), params))


def test_the_due_soon_scan_reads_open_turns_through_the_deadline_index(app_ctx, factories, shop):
    factories.returns(shop, [waiting(factories, f"57683{n:013d}", deadline=T0 + n * HOUR) for n in range(30)])
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("ANALYZE seller_turns"))
        db.session.execute(text("SET enable_seqscan = off"))  # a tiny table: ask whether the index serves
    plan = _plan(
        "SELECT id, seller_id, request_pk, deadline FROM seller_turns "
        "WHERE ended_at IS NULL AND deadline > :a AND deadline <= :b",
        a=T0,
        b=T0 + 4 * HOUR,
    )
    assert "ix_seller_turns_open_deadline" in plan, plan
    weekly = _plan(
        "SELECT outcome, count(*) FROM seller_turns WHERE seller_id = :s AND started_at >= :a "
        "AND started_at < :b GROUP BY outcome",
        s=shop.seller_id,
        a=T0,
        b=T0 + 7 * 24 * HOUR,
    )
    assert "ix_seller_turns_seller_started" in weekly, weekly


SELLER_SQL = (
    "INSERT INTO sellers (id, email, email_key, password_hash, session_token, timezone, date_format,"
    " created_at) VALUES (1, 's@x', 's@x', 'h', 't', 'UTC', '%Y', '2026-01-01')"
)
SHOP_SQL = (
    "INSERT INTO tiktok_shops (id, seller_id, shop_id, name, region, cipher, status, connected_at)"
    " VALUES (1, 1, '7494', 'Shop', 'US', 'c', 'connected', '2026-01-01')"
)
REQUEST_SQL = (
    "INSERT INTO return_requests (id, seller_id, tiktok_shop_id, request_id, kind, request_type,"
    " order_id, status, tab, next_action, respond_by, needs_action, create_time, update_time,"
    " search_text, first_synced_at, synced_at) VALUES (:n, 1, 1, :rid, 'return', 'REFUND', 'o',"
    " :status, 'x', :action, :deadline, :needs, :t, :t, '', '2026-01-01', '2026-01-01')"
)


def test_upgrading_opens_a_turn_for_every_request_already_waiting(tmp_path):
    config = {"INSTANCE_PATH": str(tmp_path), "SQLALCHEMY_DATABASE_URI": _fresh_database_url(tmp_path)}
    app = create_app(type("Migrated", (TestConfig,), config))
    waiting_now = (PENDING, RESPOND_RETURN, T0 + HOUR)
    done = ("RETURN_OR_REFUND_REQUEST_COMPLETE", None, None)
    with app.app_context():
        upgrade(revision="c7a41e2f9d13")
        with db.engine.begin() as conn:
            conn.execute(text(SELLER_SQL))
            conn.execute(text(SHOP_SQL))
            for n, (status, action, deadline) in enumerate([waiting_now, done], 1):
                values = {"n": n, "rid": f"r{n}", "status": status, "action": action, "deadline": deadline}
                conn.execute(text(REQUEST_SQL), {**values, "needs": action is not None, "t": T0 - n})
        upgrade()
        rows = db.session.execute(
            text("SELECT request_pk, action, start_status, started_at, deadline, ended_at FROM seller_turns")
        ).all()
        assert [tuple(r) for r in rows] == [(1, RESPOND_RETURN, PENDING, T0 - 1, T0 + HOUR, None)]
        db.session.remove()
        db.engine.dispose()
