"""How a week of a seller is counted: the SQL that turns requests, line items and seller turns into
summary rows (``insights.summaries`` decides which weeks, and writes them).

Requests go in ``INSERT … SELECT … GROUP BY`` statements over the ``(seller_id, create_time)`` index,
seller turns in one grouped query whose rows are folded into ``InsightTurnWeek`` rows (the answer times
become one JSON object per week). Every expression works on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import BigInteger, and_, case, cast, func, insert, literal, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from connector_app.extensions import db
from connector_app.insights import reasons as r
from connector_app.insights.models import InsightReasonWeek, InsightSkuWeek, InsightSlice
from connector_app.insights.periods import DAY, to_date, to_day
from connector_app.returns.models import (
    DECIDED_BY_TIKTOK,
    KIND_CANCELLATION,
    ReturnLineItem,
    ReturnRequest,
    SellerTurn,
)

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


def insert_slices(seller_id: int, start: int, end: int) -> None:
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


def request_week():
    day = _req.c.create_time // DAY
    return day - (day + 3) % 7


def insert_reason_weeks(seller_id: int, start: int, end: int) -> None:
    rows = (
        select(
            _req.c.seller_id,
            _req.c.tiktok_shop_id,
            request_week().label("week"),
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


def insert_sku_weeks(seller_id: int, start: int, end: int) -> None:
    refunded = _req.c.status.in_(r.REFUNDED_STATUSES)
    lines = (
        select(
            _req.c.seller_id,
            _req.c.tiktok_shop_id,
            _req.c.id.label("request_pk"),
            request_week().label("week"),
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


def turn_rows(seller_id: int, start: int, end: int) -> list[dict]:
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
