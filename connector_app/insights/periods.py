"""Days, weeks and the period the seller looks at.

Insights count in UTC: a request belongs to the UTC day and the Monday-to-Sunday UTC week in which
the buyer opened it (``create_time``), a seller turn to the week in which it began. Days and weeks are
stored as unix day numbers (a week as the day number of its Monday), so a period is a range of
integers that the summary tables' indexes serve.

A period is always a run of whole weeks ending with the current one (the last 4, 13, 26 or 52) or the
whole weeks that cover the seller's own dates. Like the grid, bad values never raise: they are dropped
and ``InsightParams.messages`` says what was ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from connector_app.inputs import parse_id
from connector_app.timeutil import utcnow

DAY = 86_400
EPOCH = date(1970, 1, 1)
PERIODS = {"4w": ("Last 4 weeks", 4), "13w": ("Last 13 weeks", 13), "26w": ("Last 26 weeks", 26)}
PERIODS["52w"] = ("Last 12 months (52 weeks)", 52)
DEFAULT_PERIOD = "13w"
CUSTOM = "custom"
MAX_WEEKS = 157  # three years
EARLIEST = date(2016, 1, 1)  # TikTok Shop did not exist before
GRAINS = {"week": "By week", "month": "By month"}
ALL_SHOPS = "all"


def day_of(unix_seconds: int) -> int:
    return unix_seconds // DAY


def monday_of(day: int) -> int:
    """The day number of the Monday of ``day``'s week (day 0, 1970-01-01, was a Thursday)."""
    return day - (day + 3) % 7


def week_of(unix_seconds: int) -> int:
    return monday_of(day_of(unix_seconds))


def to_date(day: int) -> date:
    return EPOCH + timedelta(days=day)


def to_day(value: date) -> int:
    return (value - EPOCH).days


def month_of(day: int) -> tuple[int, int]:
    moment = to_date(day)
    return moment.year, moment.month


@dataclass
class InsightParams:
    """What the seller chose: a shop (or all), a period of whole weeks, and how to group the series."""

    period: str = DEFAULT_PERIOD
    start: int = 0  # first day (a Monday), inclusive
    end: int = 7  # a Monday, exclusive
    shop_id: int | None = None
    shop_arg: str | None = None
    grain: str = "week"
    grain_arg: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    messages: list[str] = field(default_factory=list)

    @property
    def weeks(self) -> int:
        return (self.end - self.start) // 7

    @property
    def first_date(self) -> date:
        return to_date(self.start)

    @property
    def last_date(self) -> date:
        return to_date(self.end - 1)

    @property
    def start_seconds(self) -> int:
        return self.start * DAY

    @property
    def end_seconds(self) -> int:
        return self.end * DAY

    @property
    def label(self) -> str:
        if self.period in PERIODS:
            return PERIODS[self.period][0]
        return f"{self.first_date:%d %b %Y} – {self.last_date:%d %b %Y}"

    def query_args(self, **overrides) -> dict[str, str]:
        """The URL arguments that reproduce this view (defaults left out), with ``overrides`` applied."""
        view = replace(self, messages=[], **overrides)
        args: dict[str, str] = {}
        if view.shop_arg is not None:
            args["shop"] = view.shop_arg
        if view.period == CUSTOM:
            args["from"] = view.first_date.isoformat()
            args["to"] = view.last_date.isoformat()
        elif view.period != DEFAULT_PERIOD:
            args["period"] = view.period
        if view.grain_arg is not None:
            args["by"] = view.grain_arg
        return args


def _parse_date(raw: str | None, label: str, messages: list[str]) -> date | None:
    if not raw:
        return None
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        messages.append(f"The {label} date “{raw[:20]}” is not a date (use YYYY-MM-DD); it was ignored.")
        return None
    return value


def parse_insight_args(
    args: Mapping[str, str], *, shop_ids: set[int], today: date | None = None
) -> InsightParams:
    """Read the page's query string. Never raises: invalid values are dropped with a message."""
    today = today or utcnow().date()
    messages: list[str] = []
    params = InsightParams(messages=messages)

    shop = args.get("shop")
    if shop in (None, "", ALL_SHOPS):
        params.shop_arg = ALL_SHOPS if shop == ALL_SHOPS else None
    elif parse_id(shop) in shop_ids:
        params.shop_id, params.shop_arg = parse_id(shop), shop
    else:
        messages.append("That shop is not one of your connected shops; showing all shops.")

    this_week = monday_of(to_day(today))
    date_from = _parse_date(args.get("from"), "from", messages)
    date_to = _parse_date(args.get("to"), "to", messages)
    latest = today + timedelta(days=366)
    for value, label in ((date_from, "from"), (date_to, "to")):
        if value is not None and not EARLIEST <= value <= latest:
            messages.append(f"The {label} date must be between {EARLIEST:%Y} and next year; it was ignored.")
    date_from = date_from if date_from is not None and EARLIEST <= date_from <= latest else None
    date_to = date_to if date_to is not None and EARLIEST <= date_to <= latest else None

    period = args.get("period") or DEFAULT_PERIOD
    if date_from or date_to:
        date_to = date_to or today
        date_from = date_from or date_to - timedelta(weeks=PERIODS[DEFAULT_PERIOD][1]) + timedelta(days=1)
        if date_from > date_to:
            messages.append("The “from” date is after the “to” date; the dates were swapped.")
            date_from, date_to = date_to, date_from
        start, end = monday_of(to_day(date_from)), monday_of(to_day(date_to)) + 7
        if (end - start) // 7 > MAX_WEEKS:
            messages.append(f"A period covers at most {MAX_WEEKS} weeks; showing the last {MAX_WEEKS}.")
            start = end - 7 * MAX_WEEKS
        params.period, params.start, params.end = CUSTOM, start, end
        params.date_from, params.date_to = date_from, date_to
    else:
        if period not in PERIODS:
            messages.append(f"There is no “{period[:40]}” period; showing the last 13 weeks.")
            period = DEFAULT_PERIOD
        params.period = period
        params.end = this_week + 7
        params.start = params.end - 7 * PERIODS[period][1]

    grain = args.get("by")
    if grain in GRAINS:
        params.grain, params.grain_arg = grain, grain
    else:
        if grain:
            messages.append(f"Cannot group by “{grain[:40]}”; grouped by week.")
        params.grain = "week" if params.weeks <= 26 else "month"
    return params
