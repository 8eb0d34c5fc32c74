"""The catalog sync: a ``SyncRun`` of subject ``catalog`` (sync.subjects) per shop.

Three phases, each committed with the run's checkpoint so a killed run resumes at the phase it was in:
``tiktok`` reads the products changed since the shop's TikTok high-water mark (windows under the
10,000 cap), ``etsy`` reads the Etsy listings changed since the Etsy high-water mark (100 with their
inventory per call, newest first, stopping at the mark), ``push`` relinks and pushes what differs
(``products.push``: exactly once per change).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select

from connector_app.connect.clients import etsy_client_for, tiktok_client_for
from connector_app.connect.models import TikTokShop
from connector_app.extensions import db
from connector_app.listings.services import connected_etsy
from connector_app.marketplaces.errors import AuthorizationLost, MarketplaceError
from connector_app.marketplaces.etsy import catalog
from connector_app.marketplaces.tiktok.products import ProductApi
from connector_app.products import mirror, plan, progress, push
from connector_app.products import models as m
from connector_app.sync import runs, services
from connector_app.sync.checkpoint import Checkpoint
from connector_app.sync.models import SyncRun
from connector_app.sync.runner import run_claimed
from connector_app.tenancy import for_seller, get_for_seller
from connector_app.timeutil import ensure_aware, utcnow
from connector_app.transactions import job_step

log = logging.getLogger(__name__)
UNEXPECTED = (
    "The catalog sync stopped because of an unexpected error; the next run resumes from where it stopped."
)
SUBJECT = "catalog"
TIKTOK, ETSY, PUSH = "tiktok", "etsy", "push"
OVERLAP = 300
BATCH = 100
ETSY_STATES = ("active", "sold_out")  # a listing that sells out leaves "active": its 0 must follow


@dataclass(frozen=True)
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    max_update_time: int | None = None


def has_synced(shop: TikTokShop) -> bool:
    return mirror.settings_for(shop).tiktok_high_water is not None


def _settings_row(shop: TikTokShop) -> m.ProductSyncSettings:
    row = db.session.get(m.ProductSyncSettings, shop.id)
    if row is None:
        row = mirror.settings_for(shop)
        db.session.add(row)
        db.session.flush()
    return row


class CatalogRunner:
    def __init__(self, seller_id: int, run_id: str, shop: TikTokShop, full: bool) -> None:
        self.seller_id, self.run_id, self.shop, self.full = seller_id, run_id, shop, full
        self.api = ProductApi(tiktok_client_for(shop))
        self.read = 0  # products (or listings) read in the current phase
        self.total: int | None = None  # what the current phase will read, once the marketplace says

    def _add_total(self, total: int) -> None:
        self.total = (self.total or 0) + total

    def _checkpoint(self, after: Checkpoint, finished: bool = False) -> None:
        runs.checkpoint(self.seller_id, self.run_id, after, finished=finished)

    def read_tiktok(self, cp: Checkpoint) -> Checkpoint:
        with job_step():
            settings = _settings_row(self.shop)
            try:
                warehouses = self.api.get_warehouses()
                settings.fbt_warehouses = sorted(self.api.get_fbt_warehouse_ids())
            except AuthorizationLost:
                raise
            except MarketplaceError as exc:  # not an FBT merchant, or no FBT scope: keep what we knew
                log.info("shop %s: FBT warehouses not read (%s)", self.shop.id, exc)
                warehouses = self.api.get_warehouses()
            fbt = set(settings.fbt_warehouses or [])
            settings.known_warehouses = [[w.id, w.name] for w in warehouses if w.is_sales and w.id not in fbt]
            start = (
                0 if self.full or settings.tiktok_high_water is None else settings.tiktok_high_water - OVERLAP
            )
            cp = cp.start_phase(TIKTOK, max(0, start))
            self._checkpoint(cp)
        now = int(utcnow().timestamp())
        batch = []
        self.read, self.total = 0, None
        for product in self.api.iter_products(cp.window_start or 0, now, on_total=self._add_total):
            batch.append(product)
            if len(batch) >= BATCH:
                cp = self._store_products(cp, batch, fbt)
                batch = []
        cp = self._store_products(cp, batch, fbt)
        with job_step():
            settings = _settings_row(self.shop)
            settings.tiktok_high_water = max(cp.phase_high_water or 0, settings.tiktok_high_water or 0) or now
            cp = cp.start_phase(ETSY, None)
            self._checkpoint(cp)
        return cp

    def _store_products(self, cp: Checkpoint, batch: list, fbt: set[str]) -> Checkpoint:
        with job_step():
            count = mirror.store_products(self.shop, batch, fbt)
            newest = max((p.update_time for p in batch), default=None)
            cp = cp.after_page(count, Counts(updated=count, max_update_time=newest))
            self._checkpoint(cp)
            self.read += len(batch)
            progress.record(
                self.seller_id, self.run_id, products_read=self.read, products_total=self.total or self.read
            )
        return cp

    def read_etsy(self, cp: Checkpoint) -> Checkpoint:
        connection = connected_etsy(self.seller_id)
        if connection is None:
            with job_step():
                cp = cp.start_phase(PUSH, None)
                self._checkpoint(cp)
            return cp
        client = etsy_client_for(connection)
        settings = _settings_row(self.shop)
        hours = cadence(settings, polling_shops(), listing_count(self.seller_id)).full_read_hours
        # Every listing again once a day (or as the budget allows): a change the mark missed is found.
        full_read = self.full or full_read_due(settings, hours)
        since = None if full_read else settings.etsy_high_water
        newest, seen = since, set()
        # A full read knows how many listings it reads; an incremental one stops at the mark.
        self.read, self.total = 0, None
        on_total = self._add_total if since is None else None
        for state in ETSY_STATES:
            batch = []
            for listing in catalog.changed_listings(
                client, connection.etsy_shop_id, since=since, state=state, on_total=on_total
            ):
                batch.append(listing)
                seen.add(listing.listing_id)
                newest = max(newest or 0, listing.updated)
                if len(batch) >= BATCH:
                    cp = self._store_listings(cp, connection, batch)
                    batch = []
            cp = self._store_listings(cp, connection, batch)
        with job_step():
            if since is None:
                mirror.mark_missing_listings(connection, seen)
                _settings_row(self.shop).last_full_read_at = utcnow()
            _settings_row(self.shop).etsy_high_water = newest
            cp = cp.start_phase(PUSH, None)
            self._checkpoint(cp)
        return cp

    def _store_listings(self, cp: Checkpoint, connection, batch: list) -> Checkpoint:  # noqa: ANN001
        if not batch:
            return cp
        with job_step():
            count = mirror.store_etsy_listings(connection, batch)
            cp = cp.after_page(count, Counts(updated=count))
            self._checkpoint(cp)
            self.read += len(batch)
            progress.record(self.seller_id, self.run_id, listings_read=self.read, listings_total=self.total)
        return cp

    def push(self, cp: Checkpoint) -> Checkpoint:
        with job_step():
            mirror.relink(self.shop)
            settings = _settings_row(self.shop)
            to_compare = (
                db.session.scalar(
                    for_seller(m.TikTokProduct, self.seller_id)
                    .where(m.TikTokProduct.tiktok_shop_id == self.shop.id)
                    .with_only_columns(func.count(m.TikTokProduct.id))
                )
                or 0
            )
            meter = progress.PushMeter(self.seller_id, self.run_id, to_compare)
            progress.record(self.seller_id, self.run_id, to_compare=to_compare, compared=0)
        # read batch by batch while the push runs
        plans = plan.iter_plans(self.shop, settings, compared=meter.compared)
        summary = push.push_shop(self.api, self.shop, plans, db.session.commit, self.run_id, after_plan=meter)
        with job_step():
            settings = _settings_row(self.shop)
            settings.last_run_at = utcnow()
            settings.last_error = None
            mirror.relink(self.shop)
            progress.record(self.seller_id, self.run_id, **meter.values(summary))
            self._checkpoint(cp, finished=True)
        log.info("catalog run %s pushed: %s", self.run_id, summary)
        return cp


def run_catalog_sync(seller_id: int, run_id: str) -> str:
    """The RQ job (job id = run id). Returns the run's final state."""

    def body(run: SyncRun) -> None:
        shop = get_for_seller(TikTokShop, seller_id, id=run.tiktok_shop_id)
        cp = Checkpoint.of(run)
        runner = CatalogRunner(seller_id, run_id, shop, run.kind == services.FULL)
        if cp.phase in (None, TIKTOK):
            cp = runner.read_tiktok(cp)
        if cp.phase == ETSY:
            cp = runner.read_etsy(cp)
        runner.push(cp)

    def remember_error(run: SyncRun, exc: MarketplaceError) -> None:
        shop = get_for_seller(TikTokShop, seller_id, id=run.tiktok_shop_id)
        if shop is not None:
            _settings_row(shop).last_error = exc.seller_message()  # the settings page shows it

    return run_claimed(seller_id, run_id, body, on_marketplace_error=remember_error, unexpected=UNEXPECTED)


# -- the schedule: Etsy's app-wide daily budget shared fairly --------------------------------------


@dataclass(frozen=True)
class Cadence:
    minutes: int
    reason: str
    full_read_hours: int = 24  # how often every listing is read again (what the high-water mark missed)


FULL_READ_MAX_SHARE = 0.5  # full re-reads use at most half of a shop's share of the budget


def full_read_calls(listings: int) -> int:
    """Etsy calls of a full read of a shop with ``listings`` listings: 100 a page of ``active``, and at
    least one page of each other state read."""
    return max(1, math.ceil(listings / BATCH)) + len(ETSY_STATES) - 1


def full_read_due(settings: m.ProductSyncSettings, hours: int) -> bool:
    """A full re-read of the Etsy shop is due: never done, or done ``hours`` ago or more."""
    last = settings.last_full_read_at
    return last is None or utcnow() - ensure_aware(last) >= timedelta(hours=hours)


def cadence(settings: m.ProductSyncSettings, shops: int, listings: int = 0) -> Cadence:
    """How often a shop is really checked: the seller's interval, or longer when the ``shops`` that
    follow Etsy together would spend more than their share of Etsy's app-wide daily budget (a check
    that finds nothing costs one listings page per state read). Each shop's share first pays for a
    full re-read of its ``listings`` every ``CATALOG_FULL_READ_HOURS`` (stretched when it would take
    more than half of the share); the checks share the rest."""
    budget = int(current_app.config.get("ETSY_APP_DAILY_CALLS", 10_000))
    share = float(current_app.config.get("CATALOG_POLL_SHARE", 0.5))
    full_hours = max(1, int(current_app.config.get("CATALOG_FULL_READ_HOURS", 24)))
    per_shop = budget * share / max(1, shops)
    full_cost = full_read_calls(listings)
    full_hours = max(full_hours, math.ceil(full_cost * 24 / (per_shop * FULL_READ_MAX_SHARE)))
    per_check = len(ETSY_STATES)  # one page of each state when nothing changed
    allowed_checks = (per_shop - full_cost * 24 / full_hours) / per_check
    fair = math.ceil(1440 / allowed_checks) if allowed_checks > 0 else 1440
    chosen = max(1, settings.interval_minutes or 15)
    if fair > chosen:
        return Cadence(
            fair,
            f"{shops:,} shops share Etsy's {budget:,} calls a day ({int(share * 100)}% for checking "
            f"listings, {per_check} calls a check, a full re-read every {full_hours} hours): every "
            f"{fair} minutes keeps everyone within it; an Etsy sale (ORDER_PAID) still checks at once",
            full_hours,
        )
    return Cadence(chosen, "your setting (Etsy's daily budget allows it)", full_hours)


def listing_count(seller_id: int) -> int:
    """Etsy listings the catalog mirror knows of the seller (what a full re-read reads)."""
    return (
        db.session.scalar(
            for_seller(m.EtsyCatalogSku, seller_id)
            .where(m.EtsyCatalogSku.gone.is_(False))
            .with_only_columns(func.count(func.distinct(m.EtsyCatalogSku.listing_id)))
        )
        or 0
    )


def polling_shops() -> int:
    """Shops (of every seller) with something switched on: they share Etsy's budget."""
    return (
        db.session.scalar(
            select(func.count())
            .select_from(m.ProductSyncSettings)
            .where(
                m.ProductSyncSettings.sync_price
                | m.ProductSyncSettings.sync_inventory
                | m.ProductSyncSettings.sync_product_info
            )
        )
        or 0
    )


def enqueue_due_catalog_syncs() -> int:
    """Periodic: start a catalog run of every shop with something switched on whose time has come."""
    now = utcnow()
    shops = polling_shops()
    due = db.session.execute(
        select(m.ProductSyncSettings.seller_id, m.ProductSyncSettings.tiktok_shop_id).where(
            (
                m.ProductSyncSettings.sync_price
                | m.ProductSyncSettings.sync_inventory
                | m.ProductSyncSettings.sync_product_info
            ),
            (m.ProductSyncSettings.next_run_at.is_(None)) | (m.ProductSyncSettings.next_run_at <= now),
        )
    ).all()
    started = 0
    for seller_id, shop_pk in due:
        try:
            with job_step():
                shop = get_for_seller(TikTokShop, seller_id, id=shop_pk)
                settings = get_for_seller(m.ProductSyncSettings, seller_id, tiktok_shop_id=shop_pk)
                if shop is None or settings is None or not shop.is_connected:
                    continue
                chosen = cadence(settings, shops, listing_count(seller_id))
                settings.next_run_at = now + timedelta(minutes=chosen.minutes)
                services.start_sync(shop, trigger="schedule", subject=SUBJECT)
            started += 1
        except services.SyncUnavailable as exc:
            log.error("catalog sync of shop %s not started: %s", shop_pk, exc)
    return started


def start_catalog_sync(shop: TikTokShop, trigger: str) -> SyncRun:
    return services.start_sync(shop, trigger=trigger, subject=SUBJECT)


def on_listings_refreshed(sender, *, seller_id: int, **_) -> None:
    """``listings.signals.listings_refreshed``: Etsy changed (or was re-read): check the shops with
    something switched on now (the run reads only what changed since its high-water mark)."""
    try:
        with job_step():
            for settings in db.session.scalars(for_seller(m.ProductSyncSettings, seller_id)):
                shop = get_for_seller(TikTokShop, seller_id, id=settings.tiktok_shop_id)
                if shop is not None and shop.is_connected and settings.anything_on:
                    start_catalog_sync(shop, "etsy")
    except Exception:  # never break the listings refresh; the schedule catches up
        log.exception("could not start catalog syncs for seller %s", seller_id)
