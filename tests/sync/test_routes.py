"""Sync pages and fragments: start, progress (286 + HX-Trigger at the end), indicator, history, access."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from connector_app.connect.models import TikTokShop
from connector_app.extensions import db, rq
from connector_app.sync import services, subjects
from connector_app.sync.jobs import enqueue_due_syncs
from connector_app.sync.models import FAILED, RUNNING, SUCCEEDED, ShopSyncState, SyncRun
from connector_app.timeutil import utcnow
from connector_app.transactions import job_step


def make_run(app, shop, **fields) -> SyncRun:
    state = fields.get("state", RUNNING)
    values = dict(
        id=f"run-{shop.id}-{state}",
        seller_id=shop.seller_id,
        tiktok_shop_id=shop.id,
        kind="full",
        state=RUNNING,
        active_shop_id=shop.id if state in ("queued", RUNNING) else None,
        started_at=utcnow(),
        heartbeat_at=utcnow(),
        pages_done=3,
        requests_done=150,
        total_expected=600,
        created_count=120,
        updated_count=20,
        unchanged_count=10,
    )
    values.update(fields)
    with app.app_context():
        run = SyncRun(**values)
        db.session.add(run)
        db.session.commit()
        db.session.refresh(run)
        db.session.expunge(run)
        return run


def runs_of(app, shop_pk: int) -> list[SyncRun]:
    with app.app_context():
        return list(db.session.scalars(db.select(SyncRun).where(SyncRun.tiktok_shop_id == shop_pk)))


def test_sync_button_queues_one_run_and_answers_with_its_progress(logged_in, app, factories, seller):
    shop = factories.tiktok_shop(seller)
    response = logged_in.htmx("POST", "/sync", {"shop": str(shop.id)})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'id="sync-progress"' in html and 'hx-trigger="every 1s"' in html
    assert 'role="progressbar"' in html
    (run,) = runs_of(app, shop.id)
    assert run.state == "queued" and run.kind == "full" and run.trigger == "manual"
    with app.app_context():
        assert rq.queue.fetch_job(run.id) is not None  # the RQ job id is the run id

    again = logged_in.post_form("/sync", {"shop": str(shop.id)})  # second click, no JavaScript
    assert again.status_code == 302 and again.headers["Location"].endswith("/returns")
    assert len(runs_of(app, shop.id)) == 1
    page = logged_in.get("/returns", follow_redirects=True).get_data(as_text=True)
    assert "already running" in page


def test_two_concurrent_starts_make_one_run(app, factories, seller):
    shop = factories.tiktok_shop(seller)
    barrier, ids = threading.Barrier(4), []

    def click():
        with app.app_context():
            target = db.session.get(TikTokShop, shop.id)
            barrier.wait()
            with job_step():
                ids.append(services.start_sync(target).id)

    threads = [threading.Thread(target=click) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(ids) == 4 and len(set(ids)) == 1  # every click got the one run back (none crashed)
    assert len(runs_of(app, shop.id)) == 1


def test_full_resync_and_all_shops(logged_in, app, factories, seller):
    first, second = factories.tiktok_shop(seller), factories.tiktok_shop(seller, region="GB")
    with app.app_context():
        db.session.execute(
            db.update(ShopSyncState).values(returns_high_water=1000, cancellations_high_water=1000)
        )
        db.session.commit()
    response = logged_in.htmx("POST", "/sync", {})
    assert response.status_code == 200
    assert [r.kind for r in runs_of(app, first.id) + runs_of(app, second.id)] == ["incremental"] * 2
    with app.app_context():
        db.session.execute(db.update(SyncRun).values(state=SUCCEEDED, active_shop_id=None))
        db.session.commit()
    logged_in.htmx("POST", "/sync", {"shop": str(first.id), "full": "1"})
    assert sorted(r.kind for r in runs_of(app, first.id)) == ["full", "incremental"]


def test_progress_polls_while_running_then_stops_with_286_and_refreshes_the_grid(
    logged_in, app, factories, seller
):
    shop = factories.tiktok_shop(seller)
    run = make_run(app, shop)
    response = logged_in.htmx("GET", f"/sync/progress?run={run.id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'aria-valuenow="25"' in html and "150 of 600 requests" in html and "page 3" in html
    assert "120 new, 20 updated, 10 unchanged" in html
    assert "HX-Trigger" not in response.headers

    with app.app_context():
        db.session.execute(
            db.update(SyncRun).values(
                state=SUCCEEDED, requests_done=600, active_shop_id=None, finished_at=utcnow()
            )
        )
        db.session.commit()
    done = logged_in.htmx("GET", f"/sync/progress?run={run.id}")
    assert done.status_code == 286
    assert done.headers["HX-Trigger"] == "returns-changed, sync-finished"  # the grids reload
    text = done.get_data(as_text=True)
    assert "600 requests checked: 120 new, 20 updated, 10 unchanged" in text
    assert "hx-trigger" not in text


def test_progress_survives_a_reload_and_the_indicator_shows_on_every_page(logged_in, app, factories, seller):
    shop = factories.tiktok_shop(seller)
    make_run(app, shop)
    page = logged_in.get("/sync").get_data(as_text=True)
    assert 'id="sync-progress"' in page and 'role="progressbar"' in page
    assert 'id="sync-indicator"' in page and "Syncing 25%" in page
    indicator = logged_in.htmx("GET", "/sync/indicator")
    assert indicator.status_code == 200 and 'hx-trigger="every 2s"' in indicator.get_data(as_text=True)
    with app.app_context():
        db.session.execute(db.update(SyncRun).values(state=SUCCEEDED, active_shop_id=None))
        db.session.commit()
    assert logged_in.htmx("GET", "/sync/indicator").status_code == 286
    assert 'id="sync-indicator"' not in logged_in.get("/sync").get_data(as_text=True)


def test_history_shows_outcomes_errors_and_stale_shops(logged_in, app, factories, seller):
    fresh = factories.tiktok_shop(seller, name="Fresh", last_sync_ok_at=utcnow())
    stale = factories.tiktok_shop(seller, name="Behind", last_sync_ok_at=utcnow() - timedelta(minutes=31))
    make_run(app, fresh, id="ok-run", state=SUCCEEDED, finished_at=utcnow())
    make_run(app, stale, id="bad-run", state=FAILED, error="TikTok Shop could not be reached.")
    html = logged_in.get("/sync").get_data(as_text=True)
    assert "Succeeded" in html and "Failed" in html and "TikTok Shop could not be reached." in html
    table = html[html.index('class="sync-shops"') :]
    behind_row = table[table.index("Behind (US)") :].split("</tr>")[0]
    fresh_row = table[table.index("Fresh (US)") :].split("</tr>")[0]
    assert "Stale" in behind_row and "Stale" not in fresh_row


def test_scheduled_check_starts_due_shops_once_and_moves_their_next_time(app, factories, seller):
    due = factories.tiktok_shop(seller, next_sync_at=utcnow() - timedelta(minutes=1))
    never = factories.tiktok_shop(seller)  # next_sync_at NULL: due now
    later = factories.tiktok_shop(seller, next_sync_at=utcnow() + timedelta(minutes=5))
    off = factories.tiktok_shop(seller, sync_interval_minutes=0)
    with app.app_context():
        assert enqueue_due_syncs() == 2
        assert enqueue_due_syncs() == 0  # the next check finds nothing due
    started = runs_of(app, due.id) + runs_of(app, never.id)
    # every scheduled subject (returns, and those features registered: orders …) starts once per shop
    assert (
        sorted((r.subject, r.trigger) for r in started if r.subject == "returns")
        == [("returns", "schedule")] * 2
    )
    assert len(started) == 2 * sum(1 for s in subjects.registered() if s.scheduled)
    assert runs_of(app, later.id) == runs_of(app, off.id) == []
    with app.app_context():
        moved = db.session.get(ShopSyncState, due.id).next_sync_at
        assert (
            timedelta(minutes=14)
            < moved.replace(tzinfo=None) - utcnow().replace(tzinfo=None)
            <= timedelta(minutes=15)
        )


def test_a_run_that_stopped_beating_is_marked_dead_and_the_next_one_resumes(app, factories, seller):
    app.config["SYNC_STALE_SECONDS"] = 30
    shop = factories.tiktok_shop(seller)
    stuck = make_run(app, shop, id="stuck", heartbeat_at=utcnow() - timedelta(minutes=5), phase="returns",
                     page_token="tok-7", window_start=None)  # fmt: skip
    with app.app_context(), job_step():
        run = services.start_sync(db.session.get(TikTokShop, shop.id))
        assert run.id != stuck.id
        assert (run.resumed_from, run.phase, run.page_token, run.pages_done) == (
            "stuck",
            "returns",
            "tok-7",
            3,
        )
        assert db.session.get(SyncRun, "stuck").state == "dead"


def test_no_connected_shop_says_so(logged_in, app, factories, seller):
    response = logged_in.htmx("POST", "/sync", {})
    assert response.status_code == 409
    assert "no connected TikTok Shop" in response.get_data(as_text=True)


@pytest.fixture
def other_run(app, factories):
    other = factories.seller()
    return make_run(app, factories.tiktok_shop(other), id="someone-elses-run")


@pytest.mark.parametrize(
    ("method", "url"),
    [("GET", "/sync/progress?run=someone-elses-run"), ("GET", "/sync/runs/someone-elses-run")],
)
def test_another_sellers_run_is_404(logged_in, other_run, method, url):
    assert logged_in.htmx(method, url).status_code == 404
    assert logged_in.open(url, method=method).status_code == 404


def test_another_sellers_shop_cannot_be_synced(logged_in, app, factories):
    theirs = factories.tiktok_shop(factories.seller())
    assert logged_in.htmx("POST", "/sync", {"shop": str(theirs.id)}).status_code == 404
    assert runs_of(app, theirs.id) == []


@pytest.mark.parametrize(
    ("method", "url"),
    [("GET", "/sync"), ("POST", "/sync"), ("GET", "/sync/progress?run=x"), ("GET", "/sync/runs/x"),
     ("GET", "/sync/indicator")],
)  # fmt: skip
def test_anonymous_is_sent_to_login(client, method, url):
    response = client.post_form(url) if method == "POST" else client.get(url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
