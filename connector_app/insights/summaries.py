"""The only writer of the insights summary tables: a week of a seller is recomputed from its rows.

A week's summary rows are a pure function of the seller's requests opened that week (and their line
items) and the seller turns that began that week, so keeping them right is simple: whenever anything
in a week may have changed, delete that week's rows and count them again (``insights.counting``).
Contiguous weeks go in one statement per table, so the first refresh of a seller (all weeks at once)
costs the same handful of statements as one week; the products' running totals are then rebuilt from
the first changed week on. Nothing here commits: the refresh job commits once per seller.

Which weeks changed: requests whose ``synced_at`` and turns whose ``updated_at`` are later than the
marks in ``InsightState``. Both are stamped by their writers (``returns.services.upsert_requests``,
``returns.turns``) in the transaction that changes them, and both are indexed. The marks trail the
refresh's own start by ``OVERLAP``, so a write that had taken its timestamp but not yet committed when
the refresh read is found by the next refresh; re-reading a week is harmless (it is recomputed to the
same rows). ``differences`` compares the stored rows with a recount (``flask insights check``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import delete, func, insert, literal

from connector_app.dbutil import insert_ignore
from connector_app.extensions import db
from connector_app.insights import counting
from connector_app.insights.models import (
    SKU_MEASURES,
    SUMMARY_MODELS,
    WEEKLY_MODELS,
    InsightSkuRunning,
    InsightSkuWeek,
    InsightSlice,
    InsightState,
    InsightTurnWeek,
)
from connector_app.insights.periods import DAY, week_of
from connector_app.returns.models import ReturnRequest, SellerTurn
from connector_app.tenancy import for_seller
from connector_app.timeutil import ensure_aware, utcnow

# A writer's transaction commits within this long of stamping its rows (a sync page or a webhook takes
# milliseconds); the marks stay this far behind each refresh's start.
OVERLAP = timedelta(minutes=2)


# --- recomputing weeks ---------------------------------------------------------------------------


def week_ranges(weeks: Iterable[int]) -> Iterator[tuple[int, int]]:
    """Sorted runs of consecutive weeks (Mondays) as day ranges [first Monday, Monday after the last)."""
    run: list[int] = []
    for week in sorted(set(weeks)):
        if run and week != run[-1] + 7:
            yield run[0], run[-1] + 7
            run = []
        run.append(week)
    if run:
        yield run[0], run[-1] + 7


def recompute_weeks(seller_id: int, weeks: Iterable[int]) -> int:
    """Replace the summary rows of ``weeks`` (Mondays) with a recount, then the products' running
    totals from the first of them on; returns how many weeks. Flushes."""
    count, first = 0, None
    for start, end in week_ranges(weeks):
        _recompute_range(seller_id, start, end)
        count += (end - start) // 7
        first = start if first is None else first
    if first is not None:
        _rebuild_running(seller_id, first)
    db.session.flush()
    return count


def _recompute_range(seller_id: int, start: int, end: int) -> None:
    first = InsightSlice.first_day
    db.session.execute(
        delete(InsightSlice).where(InsightSlice.seller_id == seller_id, first >= start, first < end)
    )
    for model in WEEKLY_MODELS:
        db.session.execute(
            delete(model).where(model.seller_id == seller_id, model.week >= start, model.week < end)
        )
    counting.insert_slices(seller_id, start, end)
    counting.insert_reason_weeks(seller_id, start, end)
    counting.insert_sku_weeks(seller_id, start, end)
    turn_rows = counting.turn_rows(seller_id, start, end)
    if turn_rows:
        db.session.execute(insert(InsightTurnWeek.__table__), turn_rows)


def _rebuild_running(seller_id: int, first: int) -> None:
    """Recompute the products' running totals from week ``first`` (a Monday) to the seller's last week
    with product rows: one row per product per week, carried forward through weeks without requests."""
    state = lock_state(seller_id)
    through = state.sku_running_through
    start = first if through is None else min(first, through + 7)  # no gap after the last stored week
    weekly, running = InsightSkuWeek, InsightSkuRunning
    last = db.session.scalar(for_seller(weekly, seller_id).with_only_columns(func.max(weekly.week)))
    db.session.execute(delete(running).where(running.seller_id == seller_id, running.week >= start))
    key_columns = (running.tiktok_shop_id, running.sku, running.currency)
    value_columns = [getattr(running, name) for name in ("product_name", *SKU_MEASURES)]
    totals: dict[tuple, list] = {
        tuple(row[:3]): list(row[3:])
        for row in db.session.execute(
            for_seller(running, seller_id)
            .with_only_columns(*key_columns, *value_columns)
            .where(running.week == start - 7)
        )
    }
    if last is None or last < start:
        state.sku_running_through = start - 7 if totals else None
        return
    weeks: dict[int, list] = {}
    source_keys = (weekly.week, weekly.tiktok_shop_id, weekly.sku, weekly.currency)
    source_values = [getattr(weekly, name) for name in ("product_name", *SKU_MEASURES)]
    for row in db.session.execute(
        for_seller(weekly, seller_id)
        .with_only_columns(*source_keys, *source_values)
        .where(weekly.week >= start)
    ):
        weeks.setdefault(row[0], []).append(row)
    rows: list[dict] = []
    for week in range(start, last + 7, 7):
        for row in weeks.get(week, ()):
            total = totals.setdefault(tuple(row[1:4]), [None] + [0] * len(SKU_MEASURES))
            total[0] = row[4] or total[0]
            for index in range(1, len(total)):
                total[index] += int(row[4 + index])
        for (shop_id, sku, currency), (name, *values) in totals.items():
            rows.append(
                {
                    "seller_id": seller_id,
                    "week": week,
                    "tiktok_shop_id": shop_id,
                    "sku": sku,
                    "currency": currency,
                    "product_name": name,
                    **dict(zip(SKU_MEASURES, values, strict=True)),
                }
            )
    if rows:
        db.session.execute(insert(running.__table__), rows)
    state.sku_running_through = last


def _data_range(seller_id: int) -> tuple[int, int] | None:
    """The first and the last week (Mondays) with a request or a seller turn of the seller."""
    first_req, last_req = db.session.execute(
        for_seller(ReturnRequest, seller_id).with_only_columns(
            func.min(ReturnRequest.create_time), func.max(ReturnRequest.create_time)
        )
    ).one()
    first_turn, last_turn = db.session.execute(
        for_seller(SellerTurn, seller_id).with_only_columns(
            func.min(SellerTurn.started_at), func.max(SellerTurn.started_at)
        )
    ).one()
    moments = [m for m in (first_req, last_req, first_turn, last_turn) if m is not None]
    if not moments:
        return None
    return week_of(min(moments)), week_of(max(moments))


# --- refresh: what changed since the marks -------------------------------------------------------


@dataclass
class RefreshResult:
    weeks: int = 0
    full: bool = False


def lock_state(seller_id: int) -> InsightState:
    """The seller's state row, created if missing, locked for this transaction on PostgreSQL (two
    refreshes of one seller take turns; SQLite serializes writers anyway)."""
    insert_ignore(InsightState.__table__, [{"seller_id": seller_id}], ["seller_id"])
    return db.session.scalars(for_seller(InsightState, seller_id).with_for_update()).one()


def changed_weeks(seller_id: int, state: InsightState) -> set[int]:
    """Weeks with a request or a turn changed after the state's marks."""
    weeks: set[int] = set()
    week = counting.request_week()
    if state.requests_through is not None:
        weeks.update(
            db.session.scalars(
                for_seller(ReturnRequest, seller_id)
                .with_only_columns(week)
                .where(ReturnRequest.synced_at > state.requests_through)
                .distinct()
            )
        )
    if state.turns_through is not None:
        day = SellerTurn.started_at // DAY
        weeks.update(
            db.session.scalars(
                for_seller(SellerTurn, seller_id)
                .with_only_columns(day - (day + 3) % 7)
                .where(SellerTurn.updated_at > state.turns_through)
                .distinct()
            )
        )
    return weeks


def refresh(seller_id: int, *, full: bool = False, now: datetime | None = None) -> RefreshResult:
    """Bring the seller's summaries up to date; flushes, the caller commits.

    The first refresh of a seller (or ``full``) recomputes every week that has data, after deleting all
    of the seller's summary rows; later ones recompute the weeks with changes since the marks.
    """
    started = now or utcnow()
    state = lock_state(seller_id)
    result = RefreshResult(full=full or state.requests_through is None or state.turns_through is None)
    if result.full:
        for model in SUMMARY_MODELS:
            db.session.execute(delete(model).where(model.seller_id == seller_id))
        state.sku_running_through = None
        span = _data_range(seller_id)
        if span:
            result.weeks = recompute_weeks(seller_id, range(span[0], span[1] + 7, 7))
        state.rebuilt_at = started
    else:
        result.weeks = recompute_weeks(seller_id, changed_weeks(seller_id, state))
    mark = started - OVERLAP
    state.requests_through = _later(state.requests_through, mark)
    state.turns_through = _later(state.turns_through, mark)
    state.refreshed_at = started
    db.session.flush()
    return result


def _later(mark: datetime | None, candidate: datetime) -> datetime:
    """Marks only move forward."""
    return candidate if mark is None else max(ensure_aware(mark), candidate)


def has_unread_changes(seller_id: int, since: datetime) -> bool:
    """Whether a request of the seller changed after ``since`` (an index probe, for the page)."""
    query = for_seller(ReturnRequest, seller_id).with_only_columns(literal(1))
    return db.session.scalar(query.where(ReturnRequest.synced_at > since).limit(1)) is not None


# --- checking: the stored rows against a recount -------------------------------------------------


def _snapshot(seller_id: int) -> dict[str, set[tuple]]:
    found: dict[str, set[tuple]] = {}
    for model in SUMMARY_MODELS:
        table = model.__table__
        columns = [c for c in table.c if c.name != "seller_id"]
        rows = db.session.execute(for_seller(model, seller_id).with_only_columns(*columns))
        found[table.name] = {tuple(_plain(v) for v in row) for row in rows}
    return found


def _plain(value):
    if isinstance(value, dict):
        return tuple(sorted((str(k), int(v)) for k, v in value.items()))
    return int(value) if isinstance(value, (int, Decimal)) and not isinstance(value, bool) else value


def differences(seller_id: int) -> dict[str, tuple[set[tuple], set[tuple]]]:
    """Compare the stored summaries with a recount from the rows: ``{table: (stored only, recount only)}``
    for the tables that differ. Leaves the session as it found it (the recount is rolled back to a
    savepoint)."""
    stored = _snapshot(seller_id)
    savepoint = db.session.begin_nested()
    try:
        for model in SUMMARY_MODELS:
            db.session.execute(delete(model).where(model.seller_id == seller_id))
        lock_state(seller_id).sku_running_through = None
        span = _data_range(seller_id)
        if span:
            recompute_weeks(seller_id, range(span[0], span[1] + 7, 7))
        recount = _snapshot(seller_id)
    finally:
        savepoint.rollback()
    return {
        name: (stored[name] - recount[name], recount[name] - stored[name])
        for name in stored
        if stored[name] != recount[name]
    }
