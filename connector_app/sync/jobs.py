"""The sync job and the scheduled check that starts incremental syncs.

``run_sync(seller_id, run_id)`` pages through Search Returns, then Search Cancellations (50 a page,
oldest change first). Each page is stored in ONE transaction together with the run's checkpoint
(phase, next page token, counters) and heartbeat, then ``requests_changed`` is sent. While the job's
thread writes page N, the fetch thread already downloads page N+1. A shop's high-water mark moves
only when a phase completes, so an interrupted run never skips anything: the next run resumes at its
checkpoint. Every query is scoped to the run's seller.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout

from flask import current_app

from connector_app.connect.models import TikTokShop
from connector_app.dbutil import analyze_if_stale, retry_on_conflict
from connector_app.marketplaces.tiktok.types import AftersaleRequest, Page
from connector_app.observability.metrics import observe_sync_run
from connector_app.returns.models import ReturnLineItem, ReturnRequest, ReturnStatusChange
from connector_app.returns.services import ShopKey, upsert_requests
from connector_app.returns.signals import notify_requests_changed
from connector_app.sync import runs, schedule, services, subjects
from connector_app.sync.checkpoint import Checkpoint
from connector_app.sync.fetcher import CANCELLATIONS, RETURNS, PageFetcher, PageRequest
from connector_app.sync.models import SyncRun
from connector_app.sync.runner import run_claimed
from connector_app.tenancy import get_for_seller
from connector_app.timeutil import utcnow
from connector_app.transactions import job_step

log = logging.getLogger(__name__)


ANALYZE_CHECK_EVERY = 500  # new rows between two looks at the planner statistics
WRITTEN_TABLES = [ReturnRequest.__table__, ReturnLineItem.__table__, ReturnStatusChange.__table__]


def _overlap() -> int:
    return int(current_app.config.get("SYNC_OVERLAP_SECONDS", 300))


def _beat_every() -> float:
    return min(15.0, max(0.2, services.stale_after().total_seconds() / 4))


class SyncRunner:
    def __init__(self, seller_id: int, run_id: str, shop_pk: int, kind: str) -> None:
        self.seller_id = seller_id
        self.run_id = run_id
        self.shop_pk = shop_pk
        self.full = kind == services.FULL
        self._created_at_last_check = 0

    def shop(self) -> TikTokShop:
        shop = get_for_seller(TikTokShop, self.seller_id, id=self.shop_pk)
        if shop is None:
            raise LookupError(f"shop {self.shop_pk} is gone")
        return shop

    def window(self, phase: str) -> int | None:
        """update_time_ge for a phase: everything on a full sync, else the high-water mark minus overlap."""
        if self.full:
            return None
        mark = getattr(schedule.read_state(self.shop()), f"{phase}_high_water")
        return None if mark is None else max(0, mark - _overlap())

    # -- run ---------------------------------------------------------------------------------------

    def run(self, checkpoint: Checkpoint) -> None:
        if checkpoint.phase is None:
            checkpoint = checkpoint.start_phase(RETURNS, self.window(RETURNS))
        fetcher = PageFetcher(current_app._get_current_object(), self.seller_id, self.shop_pk)
        finished = False
        try:
            probe = None
            if checkpoint.total_expected is None and checkpoint.phase == RETURNS:
                first = PageRequest(CANCELLATIONS, None, self.window(CANCELLATIONS), page_size=1)
                probe = fetcher.submit(first)  # only for its total_count
            current = PageRequest(checkpoint.phase, checkpoint.page_token, checkpoint.window_start)
            future: Future | None = fetcher.submit(current)
            while future is not None:
                page = self._wait(future)
                if checkpoint.total_expected is None:
                    others = (self._wait(probe).total_count or 0) if probe is not None else 0
                    checkpoint = checkpoint.with_total((page.total_count or 0) + others)
                following = self._following(current, page)
                future = fetcher.submit(following) if following else None  # overlap with the write
                checkpoint = self._store(checkpoint, current, page, following)
                self._keep_statistics_fresh(checkpoint)
                current = following
            finished = True
        finally:
            fetcher.close(wait=finished)

    def _keep_statistics_fresh(self, checkpoint: Checkpoint) -> None:
        """Every few hundred new rows, let PostgreSQL re-plan the page lookups (see ``analyze_if_stale``)."""
        if checkpoint.created_count - self._created_at_last_check >= ANALYZE_CHECK_EVERY:
            self._created_at_last_check = checkpoint.created_count
            with job_step():
                analyzed = analyze_if_stale(WRITTEN_TABLES)
            if analyzed:
                log.info("sync run %s: refreshed planner statistics of %s", self.run_id, ", ".join(analyzed))

    def _following(self, current: PageRequest, page: Page[AftersaleRequest]) -> PageRequest | None:
        token = page.next_page_token
        if token and token != current.page_token:
            return PageRequest(current.phase, token, current.window_start)
        if current.phase == RETURNS:
            return PageRequest(CANCELLATIONS, None, self.window(CANCELLATIONS))
        return None

    def _wait(self, future: Future):
        """The page, keeping the run's heartbeat fresh while the fetch backs off or retries."""
        while True:
            try:
                return future.result(timeout=_beat_every())
            except FutureTimeout:
                self._heartbeat()

    def _heartbeat(self) -> None:
        with job_step():
            runs.heartbeat(self.seller_id, self.run_id)

    def _store(
        self,
        checkpoint: Checkpoint,
        current: PageRequest,
        page: Page[AftersaleRequest],
        following: PageRequest | None,
    ) -> Checkpoint:
        """Upsert one page and move the checkpoint in one transaction; notify after the commit."""

        def unit() -> tuple[Checkpoint, list[int]]:
            with job_step():
                result = upsert_requests(ShopKey(self.shop_pk, self.seller_id), page.items, source="sync")
                after = checkpoint.after_page(len(page.items), result)
                finished = False
                if following is None or following.phase != current.phase:
                    state = schedule.state_for(self.shop())
                    attr = f"{current.phase}_high_water"
                    marks = [m for m in (getattr(state, attr), after.phase_high_water) if m is not None]
                    setattr(state, attr, max(marks) if marks else None)
                    if following is not None:
                        after = after.start_phase(following.phase, following.window_start)
                    else:
                        state.last_sync_at = state.last_sync_ok_at = utcnow()
                        finished = True
                else:
                    after = after.at_token(following.page_token)
                runs.checkpoint(self.seller_id, self.run_id, after, finished=finished)
            return after, result.status_changed

        after, changed = retry_on_conflict(unit, describe=f"sync run {self.run_id}")
        notify_requests_changed(self.seller_id, changed, "sync")
        return after


@observe_sync_run
def run_sync(seller_id: int, run_id: str) -> str:
    """The RQ job (job id = run id). Returns the run's final state."""

    def body(run: SyncRun) -> None:
        checkpoint = Checkpoint.of(run)
        log.info("sync run %s: %s sync of shop %s from %s", run_id, run.kind, run.tiktok_shop_id, checkpoint)
        SyncRunner(seller_id, run_id, run.tiktok_shop_id, run.kind).run(checkpoint)

    return run_claimed(seller_id, run_id, body)


def enqueue_due_syncs() -> int:
    """Periodic (``flask cron``): start an incremental sync of every scheduled subject (returns first)
    for every shop whose interval is up; returns how many shops were started."""
    started = 0
    for seller_id, shop_pk in schedule.due_shops():
        try:
            with job_step():  # the slot, the run and its outbox row commit together
                shop = get_for_seller(TikTokShop, seller_id, id=shop_pk)
                if shop is None or not schedule.claim_scheduled_slot(shop):
                    continue  # another scheduler claimed it a moment ago
                for subject in subjects.registered():
                    if subject.scheduled:
                        services.start_sync(shop, trigger="schedule", subject=subject.name)
            started += 1
        except services.SyncUnavailable as exc:
            log.error("scheduled sync of shop %s not started: %s", shop_pk, exc)
    return started
