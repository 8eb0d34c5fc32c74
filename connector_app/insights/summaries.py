"""The only writer of the insights summary tables: a week of a seller is recomputed from its rows.

A week's summary rows are a pure function of the seller's requests opened that week (and their line
items) and the seller turns that began that week, so keeping them right is simple: whenever anything
in a week may have changed, delete that week's rows and compute them again — in SQL for the requests
(``INSERT … SELECT … GROUP BY`` over the ``(seller_id, create_time)`` index), in Python for the turns
(a turn's answer time needs both TikTok's and the app's clock). Contiguous weeks go in one statement
per table, so the first refresh of a seller (all weeks at once) costs the same handful of statements as
one week. Nothing here commits: the refresh job commits once per seller.

Which weeks changed: requests whose ``synced_at`` and turns whose ``updated_at`` are later than the
marks in ``InsightState``. Both are stamped by their writers (``returns.services.upsert_requests``,
``returns.turns``) in the transaction that changes them, and both are indexed. The marks trail the
refresh's own start by ``OVERLAP``, so a write that had taken its timestamp but not yet committed when
the refresh read is found by the next refresh; re-reading a week is harmless (it is recomputed to the
same rows).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import BigInteger, and_, case, cast, delete, func, insert, literal, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from connector_app.dbutil import insert_ignore
from connector_app.extensions import db
from connector_app.insights import reasons as r
from connector_app.insights.models import (
    SKU_MEASURES,
    SUMMARY_MODELS,
    WEEKLY_MODELS,
    InsightReasonWeek,
    InsightSkuRunning,
    InsightSkuWeek,
    InsightSlice,
    InsightState,
    InsightTurnWeek,
)
from connector_app.insights.periods import DAY, to_date, to_day, week_of
from connector_app.returns.models import (
    DECIDED_BY_TIKTOK,
    KIND_CANCELLATION,
    ReturnLineItem,
    ReturnRequest,
    SellerTurn,
)
from connector_app.tenancy import for_seller
from connector_app.timeutil import ensure_aware, utcnow

# A writer's transaction commits within this long of stamping its rows (a sync page or a webhook takes
# milliseconds); the marks stay this far behind each refresh's start.
OVERLAP = timedelta(minutes=2)

# Answer times are counted in ranges (seconds, upper bounds): 5-minute steps in the first hour, then
# 15 minutes to 6 h, 30 minutes to a day, an hour to two days, six hours to four days; the last range
# is "more than four days". The median is reported as the range it falls in.
ANSWER_BOUNDS: tuple[int, ...] = (
    *range(300, 3_600 + 1, 300),
    *range(4_500, 21_600 + 1, 900),
    *range(23_400, 86_400 + 1, 1_800),
    *range(90_000, 172_800 + 1, 3_600),
    *range(194_400, 345_600 + 1, 21_600),
)


# The same ranges as (first second, end second, step, index of the first range): what the SQL computes.
_ANSWER_STEPS = (
    (0, 3_600, 300, 0),
    (3_600, 21_600, 900, 12),
    (21_600, 86_400, 1_800, 32),
    (86_400, 172_800, 3_600, 68),
    (172_800, 345_600, 21_600, 92),
)


def answer_bucket(seconds: int) -> int:
    """The index of the range ``seconds`` falls in: the first bound it is below (or the last range)."""
    for lower, upper, step, first in _ANSWER_STEPS:
        if seconds < upper:
            return first + (max(seconds, lower) - lower) // step
    return len(ANSWER_BOUNDS)


# --- the requests of a range of weeks, in SQL ------------------------------------------------------

_req = ReturnRequest.__table__
_line = ReturnLineItem.__table__


def _request_type():
    return case(
        (_req.c.kind == KIND_CANCELLATION, literal("cancellation")),
        *((_req.c.request_type == tiktok, literal(key)) for tiktok, key in r.RETURN_TYPES.items()),
        else_=literal("other"),
    )


def _refunded():
    return case((_req.c.status.in_(r.REFUNDED_STATUSES), 1), else_=0)


def _refund_cents():
    """The request's refund in hundredths when it was refunded, else 0."""
    return case((_req.c.status.in_(r.REFUNDED_STATUSES), _cents(_req.c.refund_total)), else_=0)


def _cents(amount):
    return cast(func.round(func.coalesce(amount, 0) * 100), BigInteger)


def _fault():
    return case(
        (_req.c.reason.in_(r.SELLER_FAULT_KEYS), literal(r.SELLER_FAULT)),
        (_req.c.reason.in_(r.BUYER_FAULT_KEYS), literal(r.BUYER_FAULT)),
        else_=literal(r.OTHER),
    )


def _requests_in(seller_id: int, start: int, end: int):
    """The seller's requests opened in days [start, end): served by (seller_id, create_time, id)."""
    return and_(
        _req.c.seller_id == seller_id,
        _req.c.create_time >= start * DAY,
        _req.c.create_time < end * DAY,
    )


def _month_starts(start: int, end: int) -> list[int]:
    """Day numbers of the 1st of every month that days [start, end) touch."""
    first = to_date(start).replace(day=1)
    found = []
    while to_day(first) < end:
        found.append(to_day(first))
        first = (first + timedelta(days=32)).replace(day=1)
    return found


def _slice_expr(start: int, end: int):
    """The first day of a request's slice: its week's Monday, or the 1st of its month if that is later."""
    day = _req.c.create_time // DAY
    monday = day - (day + 3) % 7
    months = _month_starts(start, end)
    later_first = [(day >= first, literal(first)) for first in reversed(months[1:])]
    month = case(*later_first, else_=literal(months[0])) if later_first else literal(months[0])
    return case((monday >= month, monday), else_=month)


def _insert_slices(seller_id: int, start: int, end: int) -> None:
    rows = (
        select(
            _req.c.seller_id,
            _req.c.tiktok_shop_id,
            _slice_expr(start, end).label("first_day"),
            _request_type().label("rtype"),
            func.coalesce(_req.c.currency, "").label("cur"),
            _refunded().label("refunded"),
            _refund_cents().label("cents"),
        )
        .where(_requests_in(seller_id, start, end))
        .subquery()
    )
    keys = (rows.c.seller_id, rows.c.tiktok_shop_id, rows.c.first_day, rows.c.rtype, rows.c.cur)
    grouped = select(*keys, func.count(), func.sum(rows.c.refunded), func.sum(rows.c.cents)).group_by(*keys)
    columns = ["seller_id", "tiktok_shop_id", "first_day", "request_type", "currency", "requests", "refunded"]
    db.session.execute(insert(InsightSlice.__table__).from_select([*columns, "refund_cents"], grouped))


def _week_expr():
    day = _req.c.create_time // DAY
    return day - (day + 3) % 7


def _insert_reason_weeks(seller_id: int, start: int, end: int) -> None:
    rows = (
        select(
            _req.c.seller_id,
            _req.c.tiktok_shop_id,
            _week_expr().label("week"),
            func.coalesce(_req.c.reason, "").label("reason_key"),
            func.coalesce(_req.c.currency, "").label("cur"),
            _req.c.reason_text,
            _refunded().label("refunded"),
            _refund_cents().label("cents"),
        )
        .where(_requests_in(seller_id, start, end))
        .subquery()
    )
    keys = (rows.c.seller_id, rows.c.tiktok_shop_id, rows.c.week, rows.c.reason_key, rows.c.cur)
    grouped = select(
        *keys, func.max(rows.c.reason_text), func.count(), func.sum(rows.c.refunded), func.sum(rows.c.cents)
    ).group_by(*keys)
    columns = ["seller_id", "tiktok_shop_id", "week", "reason", "currency", "reason_text", "requests"]
    db.session.execute(
        insert(InsightReasonWeek.__table__).from_select([*columns, "refunded", "refund_cents"], grouped)
    )


def _insert_sku_weeks(seller_id: int, start: int, end: int) -> None:
    refunded = _req.c.status.in_(r.REFUNDED_STATUSES)
    lines = (
        select(
            _req.c.seller_id,
            _req.c.tiktok_shop_id,
            _req.c.id.label("request_pk"),
            _week_expr().label("week"),
            func.coalesce(_line.c.seller_sku, "").label("sku_key"),
            func.coalesce(_req.c.currency, "").label("cur"),
            _fault().label("fault"),
            case((refunded, 1), else_=0).label("refunded"),
            _line.c.product_name,
            _line.c.quantity,
            case((refunded, _cents(_line.c.refund_total)), else_=0).label("cents"),
        )
        .select_from(_req.join(_line, _line.c.request_pk == _req.c.id))
        .where(_requests_in(seller_id, start, end))
        .subquery()
    )
    # One row per request and SKU (a request may list a SKU on several lines) ...
    per_request = (lines.c.seller_id, lines.c.tiktok_shop_id, lines.c.week, lines.c.sku_key, lines.c.cur)
    per_request += (lines.c.request_pk, lines.c.fault, lines.c.refunded)
    requests = (
        select(
            *per_request,
            func.max(lines.c.product_name).label("name"),
            func.coalesce(func.sum(lines.c.quantity), 0).label("units"),
            func.sum(lines.c.cents).label("cents"),
        )
        .group_by(*per_request)
        .subquery()
    )
    # ... then one per week, shop, SKU and currency.
    keys = (
        requests.c.seller_id,
        requests.c.tiktok_shop_id,
        requests.c.week,
        requests.c.sku_key,
        requests.c.cur,
    )

    def at_fault(fault: str):
        return func.sum(case((requests.c.fault == fault, 1), else_=0))

    grouped = select(
        *keys,
        func.max(requests.c.name),
        func.count(),
        func.sum(requests.c.units),
        at_fault(r.SELLER_FAULT),
        at_fault(r.BUYER_FAULT),
        at_fault(r.OTHER),
        func.sum(requests.c.refunded),
        func.sum(requests.c.cents),
    ).group_by(*keys)
    columns = ["seller_id", "tiktok_shop_id", "week", "sku", "currency", "product_name", "requests", "units"]
    columns += ["seller_fault", "buyer_fault", "other_fault", "refunded", "refund_cents"]
    db.session.execute(insert(InsightSkuWeek.__table__).from_select(columns, grouped))


# --- the seller turns of a range of weeks ----------------------------------------------------------

WAITING, ON_TIME, LATE, DECIDED, WITHDRAWN = "waiting", "on_time", "late", "decided", "withdrawn"


class unix_seconds(FunctionElement):  # noqa: N801 - a SQL function
    """A stored moment (``DateTime``) as whole unix seconds, in either database."""

    type = BigInteger()
    inherit_cache = True


@compiles(unix_seconds, "sqlite")
def _unix_seconds_sqlite(element, compiler, **kw) -> str:
    return f"CAST(strftime('%s', {compiler.process(element.clauses, **kw)}) AS INTEGER)"


@compiles(unix_seconds)
def _unix_seconds(element, compiler, **kw) -> str:
    return f"CAST(FLOOR(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)})) AS BIGINT)"


def _answer_bucket_sql(seconds):
    """SQL for :func:`answer_bucket` (the same piecewise steps as ``ANSWER_BOUNDS``)."""
    return case(
        *(
            (seconds < upper, literal(first) + (seconds - literal(lower)) // literal(step))
            for lower, upper, step, first in _ANSWER_STEPS
        ),
        else_=literal(len(ANSWER_BOUNDS)),
    )


def _turn_rows(seller_id: int, start: int, end: int) -> list[dict]:
    """``InsightTurnWeek`` rows of the turns that began in days [start, end), counted in SQL.

    How a turn counts:

    - answered: through this app (``answered_at``, the app's clock) or on TikTok (``ended_at``, TikTok's
      clock, of a turn that ended without our decision, not withdrawn, not decided by TikTok) — on
      time when that moment is at or before the deadline in force (or there was none), else late; the
      answer time is that moment minus ``started_at``;
    - decided: TikTok moved the request on after the deadline without an answer from the seller;
    - withdrawn: the buyer withdrew the request (it ended in a cancelled status without an answer);
    - waiting: still open and unanswered.
    """
    t = SellerTurn.__table__
    withdrawn = t.c.end_status.in_(r.WITHDRAWN_STATUSES)
    answered_elsewhere = and_(
        t.c.ended_at.is_not(None), ~withdrawn, func.coalesce(t.c.outcome, "") != DECIDED_BY_TIKTOK
    )
    moment = case(
        (t.c.answered_at.is_not(None), unix_seconds(t.c.answered_at)),
        (answered_elsewhere, t.c.ended_at),
    )
    seconds = case((moment - t.c.started_at < 0, 0), else_=moment - t.c.started_at)
    kind = case(
        (moment.is_(None), case((t.c.ended_at.is_(None), WAITING), (withdrawn, WITHDRAWN), else_=DECIDED)),
        (or_(t.c.deadline.is_(None), moment <= t.c.deadline), ON_TIME),
        else_=LATE,
    )
    day = t.c.started_at // DAY
    turns = (
        select(
            (day - (day + 3) % 7).label("week"),
            func.coalesce(t.c.currency, "").label("cur"),
            _req.c.tiktok_shop_id,
            kind.label("kind"),
            case((moment.is_(None), None), else_=_answer_bucket_sql(seconds)).label("bucket"),
            _cents(t.c.refund_total).label("cents"),
        )
        .select_from(t.join(_req, _req.c.id == t.c.request_pk))
        .where(t.c.seller_id == seller_id, t.c.started_at >= start * DAY, t.c.started_at < end * DAY)
        .subquery()
    )
    groups = (turns.c.week, turns.c.cur, turns.c.tiktok_shop_id, turns.c.kind, turns.c.bucket)
    counted = select(*groups, func.count(), func.sum(turns.c.cents)).group_by(*groups)
    rows: dict[tuple, dict] = {}
    for week, currency, shop_id, kind_of, bucket, turns_n, cents in db.session.execute(counted):
        row = rows.get((week, currency, shop_id))
        if row is None:
            row = rows[(week, currency, shop_id)] = {
                "seller_id": seller_id,
                "week": week,
                "currency": currency,
                "tiktok_shop_id": shop_id,
                **dict.fromkeys((ON_TIME, LATE, DECIDED, WITHDRAWN, WAITING, "decided_refund_cents"), 0),
                "answer_times": {},
            }
        row[kind_of] += int(turns_n)
        if kind_of == DECIDED:
            row["decided_refund_cents"] += int(cents or 0)
        if bucket is not None:
            times = row["answer_times"]
            times[str(bucket)] = times.get(str(bucket), 0) + int(turns_n)
    for row in rows.values():
        row["answer_times"] = dict(sorted(row["answer_times"].items(), key=lambda item: int(item[0])))
    return list(rows.values())


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
    _insert_slices(seller_id, start, end)
    _insert_reason_weeks(seller_id, start, end)
    _insert_sku_weeks(seller_id, start, end)
    turn_rows = _turn_rows(seller_id, start, end)
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
    week = _week_expr()
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
