"""The summaries stay right: incremental refreshes equal a recount, drift is found and repaired, a write
that committed late is not missed, and changes arm a refresh (once) while the sweep catches the rest."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from connector_app.extensions import db, rq
from connector_app.insights import jobs
from connector_app.insights.models import InsightSkuRunning, InsightSlice, InsightState
from connector_app.insights.summaries import OVERLAP, differences, refresh
from connector_app.returns.models import ReturnRequest, SellerTurn
from connector_app.returns.signals import notify_requests_changed
from connector_app.returns.turns import record_answer
from connector_app.timeutil import ensure_aware, utcnow
from tests.insights.conftest import DAY, HOUR, period_start, unix

PENDING = "RETURN_OR_REFUND_REQUEST_PENDING"


def _request(factories, n: int, created: int, **fields):
    fields.setdefault("status", "RETURN_OR_REFUND_REQUEST_COMPLETE")
    fields.setdefault("update_time", created + HOUR)
    return factories.aftersale(request_id=f"5768{n:014d}", create_time=created, **fields)


def age(app, seller_id: int, by: timedelta = timedelta(minutes=10)) -> None:
    """Make everything written so far look written ``by`` ago (older than any refresh's margin), so a
    later refresh recomputes only what changed after it."""
    with app.app_context():
        for row in db.session.scalars(select(ReturnRequest).where(ReturnRequest.seller_id == seller_id)):
            row.synced_at = ensure_aware(row.synced_at) - by
        for turn in db.session.scalars(select(SellerTurn).where(SellerTurn.seller_id == seller_id)):
            turn.updated_at = ensure_aware(turn.updated_at) - by
        db.session.commit()
        db.session.remove()


def _differences(app, seller_id: int) -> dict:
    with app.app_context():
        found = differences(seller_id)
        db.session.remove()
        return found


@pytest.fixture
def history(app, factories, seller, us_shop, gb_shop, refresh):
    """Requests in several weeks of two shops, some waiting on the seller, summarised once."""
    start = unix(period_start(10))
    items = [
        _request(factories, n, start + n * 2 * DAY, sku=f"SKU-{n % 3}", total=f"{10 + n}.00")
        for n in range(1, 25)
    ]
    items += [
        _request(
            factories,
            100 + n,
            int(utcnow().timestamp()) - (n + 1) * HOUR,
            status=PENDING,
            next_action="SELLER_RESPOND_RETURN",
            deadline=int(utcnow().timestamp()) + 40 * HOUR,
            update_time=int(utcnow().timestamp()) - (n + 1) * HOUR,
        )
        for n in range(3)
    ]
    # waiting since ten days ago (TikTok extended its deadline): its week has no other change below
    items.append(
        _request(
            factories,
            200,
            int(utcnow().timestamp()) - 10 * DAY,
            status=PENDING,
            next_action="SELLER_RESPOND_RETURN",
            deadline=int(utcnow().timestamp()) + 20 * HOUR,
            update_time=int(utcnow().timestamp()) - 10 * DAY,
        )
    )
    factories.returns(us_shop, items[::2])
    factories.returns(gb_shop, [item for item in items[1::2]])
    age(app, seller.id)
    refresh(seller.id)
    return items


def test_incremental_refreshes_equal_a_recount(app, factories, seller, us_shop, gb_shop, history, refresh):
    assert _differences(app, seller.id) == {}
    now = int(utcnow().timestamp())
    changed = [
        # an old request completes differently, one changes its reason and SKU, a new one arrives in
        # an empty week long ago (the products' running totals must be rebuilt from there on)
        _request(
            factories, 2, history[1].create_time, status="RETURN_OR_REFUND_REQUEST_CANCEL", update_time=now
        ),
        _request(
            factories,
            4,
            history[3].create_time,
            sku="SKU-NEW",
            reason="ecom_order_delivered_refund_and_return_reason_no_longer_needed",
            update_time=now,
        ),
        _request(factories, 300, unix(period_start(30)), sku="SKU-OLD", update_time=now),
    ]
    factories.returns(gb_shop, changed[:2])
    factories.returns(us_shop, changed[2:])
    # a waiting request is answered through the app, another moves on on TikTok
    with app.app_context():
        pk = db.session.scalar(
            select(ReturnRequest.id).where(ReturnRequest.request_id == history[-1].request_id)
        )
        record_answer(seller.id, pk, "APPROVE_RETURN", utcnow())
        db.session.commit()
        db.session.remove()
    moved = _request(factories, 101, history[-2].create_time, status="AWAITING_BUYER_SHIP", update_time=now)
    factories.returns(gb_shop if history.index(history[-2]) % 2 else us_shop, [moved])
    assert _differences(app, seller.id) != {}  # not refreshed yet: the summaries are behind

    result = refresh(seller.id)
    assert not result.full and 4 <= result.weeks < 10  # the weeks that changed, not all of them
    assert _differences(app, seller.id) == {}


def test_new_requests_after_quiet_weeks_carry_every_product_forward(app, factories, seller, us_shop, refresh):
    """Products' running totals have a row for every week: requests after weeks without any must not
    leave those weeks out (a period ending in them would lose its products)."""
    factories.returns(us_shop, [_request(factories, 800, unix(period_start(9)), sku="SKU-EARLY")])
    age(app, seller.id)
    refresh(seller.id)
    factories.returns(us_shop, [_request(factories, 801, unix(period_start(1)), sku="SKU-LATER")])
    assert refresh(seller.id).weeks == 1
    assert _differences(app, seller.id) == {}


def test_drift_is_found_by_the_check_command_and_repaired(app, seller, history):
    with app.app_context():
        db.session.execute(
            update(InsightSlice).where(InsightSlice.seller_id == seller.id).values(requests=99)
        )
        db.session.execute(delete_running(seller.id))
        db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["insights", "check", "--seller", str(seller.id)])
    assert result.exit_code == 1
    assert "insight_slices" in result.output and "insight_sku_running" in result.output
    result = runner.invoke(args=["insights", "check", "--seller", str(seller.id), "--repair"])
    assert result.exit_code == 0 and "rebuilt" in result.output
    assert _differences(app, seller.id) == {}
    result = runner.invoke(args=["insights", "check"])
    assert result.exit_code == 0 and "match a recount" in result.output


def delete_running(seller_id: int):
    from sqlalchemy import delete

    return delete(InsightSkuRunning).where(InsightSkuRunning.seller_id == seller_id)


def test_rebuild_command_recomputes_every_week(app, seller, history):
    with app.app_context():
        db.session.execute(update(InsightSlice).where(InsightSlice.seller_id == seller.id).values(refunded=7))
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["insights", "rebuild", "--seller", str(seller.id)])
    assert result.exit_code == 0 and "week(s)" in result.output
    assert _differences(app, seller.id) == {}


def test_a_write_that_committed_after_a_refresh_read_is_still_counted(
    app, factories, seller, us_shop, history
):
    """A writer stamps ``synced_at`` when it starts; if its transaction commits only after a refresh has
    read, its rows are older than that refresh — the marks stay OVERLAP behind, so the next one reads them."""
    with app.app_context():
        refresh(seller.id)  # the earlier refresh, reading at "now"
        db.session.commit()
        state = db.session.get(InsightState, seller.id)
        read_at = state.refreshed_at
        db.session.remove()
    late = _request(factories, 500, unix(period_start(2)), sku="SKU-LATE")
    factories.returns(us_shop, [late])
    with app.app_context():  # its transaction began (and stamped its rows) before that refresh read
        db.session.execute(
            update(ReturnRequest)
            .where(ReturnRequest.request_id == late.request_id)
            .values(synced_at=read_at - OVERLAP / 2)
        )
        db.session.commit()
        db.session.remove()
    assert _differences(app, seller.id) != {}
    with app.app_context():
        refresh(seller.id)
        db.session.commit()
        db.session.remove()
    assert _differences(app, seller.id) == {}


def test_a_change_arms_one_refresh_and_the_job_takes_it_in(app, factories, seller, us_shop, history):
    with app.app_context():
        rq.connection.delete(jobs.pending_key(seller.id))
        jobs._armed_until.clear()
        scheduled = rq.queue.scheduled_job_registry
        before = set(scheduled.get_job_ids())
        notify_requests_changed(seller.id, [1, 2], "sync")
        notify_requests_changed(seller.id, [3], "webhook")  # rides along: no second job
        jobs._armed_until.clear()  # another process: the Redis key still says one is pending
        notify_requests_changed(seller.id, [4], "webhook")
        new = set(scheduled.get_job_ids()) - before
        assert len(new) == 1
        job = rq.queue.fetch_job(new.pop())
        assert job.func_name == jobs.JOB and job.args == (seller.id,)

        factories.returns(us_shop, [_request(factories, 600, unix(period_start(1)), sku="SKU-ARMED")])
        jobs.refresh_job(seller.id)  # what the worker runs when the job is due
        assert rq.connection.get(jobs.pending_key(seller.id)) is None  # the next change arms again
        db.session.remove()
    assert _differences(app, seller.id) == {}


def test_the_sweep_finds_sellers_whose_figures_are_behind(app, factories, seller, us_shop, history):
    other = factories.seller(email="never-refreshed@example.com")
    other_shop = factories.tiktok_shop(other, name="Other")
    factories.returns(other_shop, [_request(factories, 700, unix(period_start(1)))])
    with app.app_context():
        # The seller's last refresh read everything (its marks trail by OVERLAP: let that time pass).
        later = utcnow() + OVERLAP
        db.session.execute(
            update(InsightState)
            .where(InsightState.seller_id == seller.id)
            .values(requests_through=later, turns_through=later)
        )
        db.session.commit()
        assert jobs.sellers_to_refresh() == [other.id]  # never refreshed; the seller is up to date
        # a deadline TikTok moved changes a turn but no request status: only the sweep sees it
        db.session.execute(
            update(InsightState)
            .where(InsightState.seller_id == seller.id)
            .values(
                requests_through=utcnow() + timedelta(hours=1), turns_through=utcnow() - timedelta(days=30)
            )
        )
        db.session.commit()
        assert jobs.sellers_to_refresh() == sorted([seller.id, other.id])
        jobs._armed_until.clear()
        for seller_id in (seller.id, other.id):
            rq.connection.delete(jobs.pending_key(seller_id))
        rq.connection.delete(jobs.sweep_key())
        assert jobs.periodic_refresh() == 2
        # The next sweep reads only turns changed since this one began (less the margin): the turn
        # changes of long ago were this sweep's to find.
        assert jobs.sellers_to_refresh(since=utcnow() + 2 * OVERLAP) == [other.id]
        assert rq.connection.get(jobs.sweep_key()) is not None
        db.session.remove()


def test_a_deleted_seller_is_not_refreshed(app, seller, history):
    with app.app_context():
        assert jobs.refresh_seller(10**9) is None
        db.session.remove()


def test_the_first_refresh_of_a_seller_without_requests_is_cheap_and_empty(app, factories):
    lonely = factories.seller(email="lonely@example.com")
    with app.app_context():
        result = refresh(lonely.id)
        db.session.commit()
        assert result.full and result.weeks == 0
        assert differences(lonely.id) == {}
        db.session.remove()
