"""What the insights page and its CSV files show, built from the summary rows of one period.

Plain data, no queries: the view gathers the rows (``insights.queries``), the orders feature's answer
(``insights.signals``) and the Etsy links, and this module adds them up. Money stays per currency
(``Amounts``: currency -> Decimal), and is never added across currencies.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from connector_app.insights import reasons as r
from connector_app.insights.counting import ANSWER_BOUNDS
from connector_app.insights.periods import InsightParams, month_of, to_date
from connector_app.insights.signals import UnitsSold

CENT = Decimal("0.01")
TOP_PRODUCTS = 20
TOP_REASONS_CHARTED = 10

Amounts = dict[str, Decimal]


def money(cents: int | Decimal | None) -> Decimal:
    return (Decimal(int(cents or 0)) / 100).quantize(CENT)


def _add(cents_by_currency: dict, currency: str, cents) -> None:
    """Add hundredths while counting (plain integers); ``_to_money`` turns them into amounts once."""
    if cents:
        cents_by_currency[currency] = cents_by_currency.get(currency, 0) + int(cents)


def _to_money(cents_by_currency: dict) -> Amounts:
    return {currency: money(cents) for currency, cents in cents_by_currency.items() if cents}


@dataclass
class Bucket:
    """One bar of the series: a week or a calendar month (clipped to the period)."""

    key: str
    label: str
    first: date
    last: date
    partial: bool = False
    requests: Counter = field(default_factory=Counter)  # type key -> requests
    refunded: int = 0
    refund: Amounts = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.requests.values())


@dataclass
class ReasonRow:
    key: str
    label: str
    fault: str
    requests: int = 0
    refunded: int = 0
    refund: Amounts = field(default_factory=dict)
    share: float = 0.0  # of all requests in the period


@dataclass
class ProductRow:
    sku: str
    product: str
    requests: int = 0
    units: int = 0
    seller_fault: int = 0
    buyer_fault: int = 0
    other_fault: int = 0
    refunded: int = 0
    refund: Amounts = field(default_factory=dict)
    listing_url: str | None = None
    units_sold: int | None = None  # only when orders cover the period

    @property
    def rate(self) -> Decimal | None:
        """Requests per unit sold, as a percentage (None without units sold)."""
        if not self.units_sold:
            return None
        return (Decimal(self.requests) * 100 / Decimal(self.units_sold)).quantize(Decimal("0.1"))


@dataclass
class MedianRange:
    """The range of answer times the (lower) median falls in: [low, high) seconds; high None = no bound."""

    low: int
    high: int | None


@dataclass
class AnswerWeek:
    first: date
    on_time: int = 0
    late: int = 0
    decided: int = 0
    withdrawn: int = 0
    waiting: int = 0
    decided_refund: Amounts = field(default_factory=dict)
    # Answers per answer-time range (index into ANSWER_BOUNDS; the last one is "longer than all").
    times: list[int] = field(default_factory=lambda: [0] * (len(ANSWER_BOUNDS) + 1))

    @property
    def answered(self) -> int:
        return self.on_time + self.late

    @property
    def concluded(self) -> int:
        """Turns that needed the seller and are over: answered, or decided by TikTok."""
        return self.answered + self.decided

    @property
    def on_time_share(self) -> float | None:
        return self.on_time / self.concluded if self.concluded else None

    @property
    def median(self) -> MedianRange | None:
        return median_range(self.times)

    def add(self, other: AnswerWeek) -> None:
        for name in ("on_time", "late", "decided", "withdrawn", "waiting"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for currency, amount in other.decided_refund.items():
            self.decided_refund[currency] = self.decided_refund.get(currency, Decimal("0.00")) + amount
        self.times = [mine + theirs for mine, theirs in zip(self.times, other.times, strict=True)]


def median_range(times: list[int]) -> MedianRange | None:
    """The answer-time range holding the lower median (the ⌈n/2⌉-th fastest answer)."""
    total = sum(times)
    if not total:
        return None
    wanted, seen = math.ceil(total / 2), 0
    for index in range(len(ANSWER_BOUNDS) + 1):
        seen += times[index]
        if seen >= wanted:
            low = ANSWER_BOUNDS[index - 1] if index else 0
            high = ANSWER_BOUNDS[index] if index < len(ANSWER_BOUNDS) else None
            return MedianRange(low, high)
    raise AssertionError("unreachable")  # pragma: no cover


RATE_COVERED, RATE_NOT_SYNCED = "covered", "not-synced"


@dataclass
class Report:
    params: InsightParams
    buckets: list[Bucket]
    type_totals: Counter
    refunded: int
    refund: Amounts
    reasons: list[ReasonRow]
    faults: Counter
    products: list[ProductRow]
    answer_weeks: list[AnswerWeek]
    answers: AnswerWeek
    rate_status: str

    @property
    def requests(self) -> int:
        return sum(self.type_totals.values())

    @property
    def currencies(self) -> list[str]:
        """Currencies with a refunded amount in the period (each gets its own chart)."""
        return sorted(c for c, amount in self.refund.items() if amount)

    @property
    def top_products(self) -> list[ProductRow]:
        return self.products[:TOP_PRODUCTS]

    @property
    def charted_reasons(self) -> list[ReasonRow]:
        return self.reasons[:TOP_REASONS_CHARTED]

    def apply_listings(self, links: dict[str, str]) -> None:
        """The Etsy listing of each SKU that has one (``returns.sku_links``)."""
        for row in self.products:
            row.listing_url = links.get(row.sku)

    def apply_orders(self, units: UnitsSold | None, products: list[ProductRow], now: int) -> None:
        """Units sold of ``products`` when the orders feature's answer covers the whole period; else
        no product gets a rate and ``rate_status`` says orders are not synced for it."""
        start, end = self.params.start_seconds, self.params.end_seconds
        if units is None or not units.covers(start, end, now):
            self.rate_status = RATE_NOT_SYNCED
            return
        self.rate_status = RATE_COVERED
        for row in products:
            if row.sku:
                row.units_sold = int(units.units.get(row.sku, 0))


def _buckets(params: InsightParams) -> tuple[list[Bucket], list[int]]:
    """The period's weeks or calendar months, and for each day of the period the index of its bucket."""
    buckets: list[Bucket] = []
    of_day: list[int] = []
    if params.grain == "week":
        for first in range(params.start, params.end, 7):
            start = to_date(first)
            buckets.append(Bucket(start.isoformat(), f"{start:%d %b}", start, to_date(first + 6)))
            of_day += [len(buckets) - 1] * 7
        return buckets, of_day
    seen: dict[tuple[int, int], int] = {}
    for day in range(params.start, params.end):
        month = month_of(day)
        if month not in seen:
            seen[month] = len(buckets)
            moment = to_date(day)
            buckets.append(Bucket(f"{month[0]:04d}-{month[1]:02d}", f"{moment:%b %Y}", moment, moment))
        buckets[seen[month]].last = to_date(day)
        of_day.append(seen[month])
    for bucket in buckets:  # a month the period starts or ends inside
        bucket.partial = bucket.first.day != 1 or (bucket.last + timedelta(days=1)).month == bucket.last.month
    return buckets, of_day


def build_report(
    params: InsightParams,
    *,
    slice_rows,
    reason_rows,
    sku_rows,
    turn_rows,
) -> Report:
    buckets, of_day = _buckets(params)
    type_totals: Counter = Counter()
    refund: Amounts = {}
    refunded = 0
    for day, request_type, currency, requests, refunded_n, cents in slice_rows:
        bucket = buckets[of_day[day - params.start]]
        bucket.requests[request_type] += requests
        bucket.refunded += refunded_n
        _add(bucket.refund, currency, cents)
        type_totals[request_type] += requests
        refunded += refunded_n
        _add(refund, currency, cents)

    total = sum(type_totals.values())
    by_reason: dict[str, ReasonRow] = {}
    for key, currency, text, requests, refunded_n, cents in reason_rows:
        row = by_reason.get(key)
        if row is None:
            row = by_reason[key] = ReasonRow(key, r.label_of(key, text), r.fault_of(key))
        row.requests += int(requests)
        row.refunded += int(refunded_n)
        _add(row.refund, currency, cents)
    reasons = sorted(by_reason.values(), key=lambda row: (-row.requests, row.label))
    faults: Counter = Counter()
    for row in reasons:
        row.share = row.requests / total if total else 0.0
        faults[row.fault] += row.requests

    by_sku: dict[str, ProductRow] = {}
    for sku, currency, product, requests, units_n, seller, buyer, other, refunded_n, cents in sku_rows:
        row = by_sku.get(sku)
        if row is None:
            row = by_sku[sku] = ProductRow(sku, product or "")
        row.product = row.product or product or ""
        row.requests += int(requests)
        row.units += int(units_n)
        row.seller_fault += int(seller)
        row.buyer_fault += int(buyer)
        row.other_fault += int(other)
        row.refunded += int(refunded_n)
        _add(row.refund, currency, cents)
    products = sorted(by_sku.values(), key=lambda row: (-row.requests, -row.seller_fault, row.sku))

    weeks = {first: AnswerWeek(to_date(first)) for first in range(params.start, params.end, 7)}
    for week, currency, on_time, late, decided, withdrawn, waiting, cents, times in turn_rows:
        answer_week = weeks[week]
        answer_week.on_time += on_time
        answer_week.late += late
        answer_week.decided += decided
        answer_week.withdrawn += withdrawn
        answer_week.waiting += waiting
        _add(answer_week.decided_refund, currency, cents)
        counts = answer_week.times
        for bucket, answers in (times or {}).items():
            counts[int(bucket)] += answers
    for item in (*buckets, *reasons, *products):
        item.refund = _to_money(item.refund)
    for answer_week in weeks.values():
        answer_week.decided_refund = _to_money(answer_week.decided_refund)
    answers = AnswerWeek(to_date(params.start))
    for answer_week in weeks.values():
        answers.add(answer_week)

    return Report(
        params=params,
        buckets=buckets,
        type_totals=type_totals,
        refunded=refunded,
        refund=_to_money(refund),
        reasons=reasons,
        faults=faults,
        products=products,
        answer_weeks=list(weeks.values()),
        answers=answers,
        rate_status=RATE_NOT_SYNCED,
    )


def format_duration(seconds: int | None) -> str:
    """5 min, 1 h 15 min, 30 h."""
    if seconds is None:
        return ""
    hours, rest = divmod(int(seconds), 3600)
    minutes = rest // 60
    if not hours:
        return f"{minutes} min"
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def median_label(median: MedianRange | None) -> str:
    if median is None:
        return "—"
    if median.high is None:
        return f"over {format_duration(median.low)}"
    if median.low == 0:
        return f"under {format_duration(median.high)}"
    return f"{format_duration(median.low)} – {format_duration(median.high)}"
