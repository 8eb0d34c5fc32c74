"""Order sync: the ``orders`` subject on the sync machinery (``sync.subjects``, ``sync.runs``).

``run_order_sync(seller_id, run_id)`` pages through Get Order List (100 a page, oldest change first,
``update_time_ge`` = the shop's high-water mark minus an overlap; everything on a full sync). Each page
is stored in ONE transaction with the run's checkpoint and heartbeat, the Etsy stock moves it decides,
and the stock writes it queues (after commit). The high-water mark moves only when the run completes,
so an interrupted run skips nothing: the next run resumes at its checkpoint. At the end the FBT stock
of the shop's FBT SKUs is read. One active run per (shop, subject) is the machinery's.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future
from datetime import datetime

from flask import current_app
from sqlalchemy import DateTime, ForeignKey, Integer, select, text
from sqlalchemy.orm import Mapped, mapped_column

from connector_app.connect.clients import tiktok_client_for
from connector_app.connect.models import TikTokShop
from connector_app.dbutil import retry_on_conflict
from connector_app.extensions import db
from connector_app.marketplaces.tiktok import orders as api
from connector_app.orders import stock
from connector_app.orders.jobs import enqueue_stock_write
from connector_app.orders.models import Order, OrderLine
from connector_app.orders.services import seller_skus_by_sku_id, upsert_fbt_stock, upsert_orders
from connector_app.returns.models import BigId
from connector_app.sync import runs
from connector_app.sync.checkpoint import Checkpoint
from connector_app.sync.fetcher import PageFetcher, PageRequest
from connector_app.sync.models import SyncRun
from connector_app.sync.runner import run_claimed
from connector_app.tenancy import SellerOwned, for_seller, get_for_seller
from connector_app.timeutil import utcnow
from connector_app.transactions import job_step

log = logging.getLogger(__name__)

SUBJECT = "orders"
PHASE = "orders"
PAGE_SIZE = 100
UNEXPECTED = (
    "The order sync stopped because of an unexpected error; the next sync resumes from where it stopped."
)


class OrderSyncState(SellerOwned, db.Model):
    """Per shop: the newest ``update_time`` a completed order sync read (the next run starts there)."""

    __tablename__ = "order_sync_states"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_pk: Mapped[int] = mapped_column(ForeignKey("tiktok_shops.id", ondelete="CASCADE"), unique=True)
    high_water: Mapped[int | None] = mapped_column(Integer)
    last_ok_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


def _state(shop: TikTokShop) -> OrderSyncState | None:
    return db.session.scalars(
        for_seller(OrderSyncState, shop.seller_id).where(OrderSyncState.shop_pk == shop.id)
    ).first()


def has_synced(shop: TikTokShop) -> bool:
    state = _state(shop)
    return state is not None and state.high_water is not None


def _overlap() -> int:
    return int(current_app.config.get("SYNC_OVERLAP_SECONDS", 300))


STATISTICS_STEPS = (1_000, 4_000, 16_000, 64_000, 256_000)


def _statistics_due(before: int, after: int) -> bool:
    """True when a run's new orders just passed one of ``STATISTICS_STEPS``."""
    return any(before < step <= after for step in STATISTICS_STEPS)


def refresh_statistics() -> None:
    """PostgreSQL: ANALYZE the order tables while a first sync fills them.

    Autovacuum looks once a minute; until then the planner believes a shop has the handful of orders
    the tables held when they were last analyzed, and answers each page's "which of these orders are
    stored" lookup by reading every order of the shop (the run turns quadratic). A few ANALYZEs at
    growing steps keep the plan on the (shop_pk, order_id) unique index."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("ANALYZE orders, order_lines"))


class OrderFetcher(PageFetcher):
    """The returns sync's fetch thread (one request in flight, its own app context), for order pages."""

    def _fetch(self, request: PageRequest):
        filters = {} if request.window_start is None else {"update_time_ge": int(request.window_start)}
        with self._app.app_context():
            return api.search_orders(
                self._get_client(),
                filters,
                page_size=request.page_size,
                page_token=request.page_token or None,
                sort_field="update_time",
                sort_order="ASC",
            )


class OrderSync:
    def __init__(self, seller_id: int, run_id: str, shop_pk: int, full: bool) -> None:
        self.seller_id, self.run_id, self.shop_pk, self.full = seller_id, run_id, shop_pk, full

    def shop(self) -> TikTokShop:
        shop = get_for_seller(TikTokShop, self.seller_id, id=self.shop_pk)
        if shop is None:
            raise LookupError(f"shop {self.shop_pk} is gone")
        return shop

    def window(self) -> int | None:
        if self.full:
            return None
        state = _state(self.shop())
        return None if state is None or state.high_water is None else max(0, state.high_water - _overlap())

    def run(self, checkpoint: Checkpoint) -> None:
        if checkpoint.phase is None:
            checkpoint = checkpoint.start_phase(PHASE, self.window())
        window, token = checkpoint.window_start, checkpoint.page_token
        fetcher = OrderFetcher(current_app._get_current_object(), self.seller_id, self.shop_pk)
        finished = False
        try:
            future: Future | None = fetcher.submit(PageRequest(PHASE, token, window, PAGE_SIZE))
            while future is not None:
                page = future.result()
                if checkpoint.total_expected is None:
                    checkpoint = checkpoint.with_total(page.total_count or 0)
                nxt = page.next_page_token
                following = nxt if nxt and nxt != token else None
                # the next page downloads while this one is written
                future = (
                    fetcher.submit(PageRequest(PHASE, following, window, PAGE_SIZE)) if following else None
                )
                checkpoint = self._store(checkpoint, page.items, following)
                token = following
            finished = True
        finally:
            fetcher.close(wait=finished)
        self._read_fbt_stock(tiktok_client_for(self.shop()))
        self._finish(checkpoint)

    def _store(self, checkpoint: Checkpoint, items: list, following: str | None) -> Checkpoint:
        def unit() -> Checkpoint:
            with job_step():
                shop = self.shop()
                result = upsert_orders(shop, items)
                if _statistics_due(checkpoint.created_count, checkpoint.created_count + result.created):
                    refresh_statistics()
                for listing_id in sorted(stock.plan(self.seller_id, result.changed_pks)):
                    enqueue_stock_write(self.seller_id, listing_id)
                after = checkpoint.after_page(len(items), result)
                if following is not None:
                    after = after.at_token(following)
                runs.checkpoint(self.seller_id, self.run_id, after)
            return after

        return retry_on_conflict(unit, describe=f"order sync run {self.run_id}")

    def _finish(self, checkpoint: Checkpoint) -> None:
        """Every page is stored: the shop's high-water mark moves and the run succeeds, together."""
        with job_step():
            shop = self.shop()
            state = _state(shop) or OrderSyncState(seller_id=self.seller_id, shop_pk=shop.id)
            db.session.add(state)
            marks = [m for m in (state.high_water, checkpoint.phase_high_water) if m is not None]
            state.high_water = max(marks) if marks else int(utcnow().timestamp())
            state.last_ok_at = utcnow()
            runs.checkpoint(self.seller_id, self.run_id, checkpoint, finished=True)

    def _read_fbt_stock(self, client) -> None:
        """FBT stock of the SKUs this shop's FBT orders sold (read-only: TikTok allocates it)."""
        sku_ids = db.session.scalars(
            select(OrderLine.sku_id)
            .join(Order, Order.id == OrderLine.order_pk)
            .where(Order.seller_id == self.seller_id, Order.shop_pk == self.shop_pk, Order.is_fbt.is_(True))
            .where(OrderLine.sku_id.is_not(None))
            .distinct()
        ).all()
        if not sku_ids:
            return
        rows = api.fbt_inventory(client, sku_ids)
        with job_step():
            upsert_fbt_stock(self.shop(), rows, seller_skus_by_sku_id(self.seller_id, sku_ids))


def run_order_sync(seller_id: int, run_id: str) -> str:
    """The RQ job of an ``orders`` run (job id = run id). Returns the run's final state."""

    def body(run: SyncRun) -> None:
        OrderSync(seller_id, run_id, run.tiktok_shop_id, run.kind == "full").run(Checkpoint.of(run))

    return run_claimed(seller_id, run_id, body, unexpected=UNEXPECTED)
