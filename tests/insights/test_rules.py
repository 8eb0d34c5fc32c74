"""The rules the figures rest on: the reason mapping, UTC weeks and periods, answer-time ranges, charts."""

from __future__ import annotations

from datetime import date

import pytest

from connector_app.insights import charts
from connector_app.insights import reasons as r
from connector_app.insights.counting import ANSWER_BOUNDS, answer_bucket
from connector_app.insights.periods import MAX_WEEKS, monday_of, parse_insight_args, to_date, to_day, week_of
from connector_app.insights.report import MedianRange, median_label, median_range
from connector_app.insights.summaries import week_ranges
from sandbox_marketplace import domain


def test_every_reason_key_the_marketplace_sends_is_mapped_to_seller_or_buyer_fault():
    sent = {key for key, _ in domain.RETURN_REASONS + domain.REFUND_REASONS + domain.CANCEL_REASONS}
    sent |= {key for key, _ in domain.SELLER_CANCEL_REASONS}
    assert sent <= set(r.BY_KEY), sorted(sent - set(r.BY_KEY))
    assert {r.BY_KEY[key].fault for key in sent} <= {r.SELLER_FAULT, r.BUYER_FAULT}


@pytest.mark.parametrize(
    "key,fault",
    [
        ("ecom_order_delivered_refund_and_return_reason_damaged", r.SELLER_FAULT),
        ("ecom_order_delivered_refund_and_return_reason_wrong_item", r.SELLER_FAULT),
        ("ecom_order_shipped_refund_reason_package_lost", r.SELLER_FAULT),
        ("seller_cancel_reason_out_of_stock", r.SELLER_FAULT),
        ("ecom_order_delivered_refund_and_return_reason_no_longer_needed", r.BUYER_FAULT),
        ("ecom_order_to_ship_cancel_reason_better_price", r.BUYER_FAULT),
        ("ecom_order_delivered_refund_and_return_reason_damaged_in_a_new_way", r.OTHER),  # not guessed
        ("", r.OTHER),
        (None, r.OTHER),
    ],
)
def test_the_reason_mapping(key, fault):
    assert r.fault_of(key) == fault


def test_labels_prefer_ours_then_tiktoks_text_then_the_key():
    assert r.label_of("ecom_order_delivered_refund_and_return_reason_quality", "Qualität") == "Poor quality"
    assert r.label_of("brand_new_key", "Arrived too late for the party") == "Arrived too late for the party"
    assert r.label_of("brand_new_key", None) == "brand_new_key"
    assert r.label_of(None, None) == "No reason given"


def test_weeks_are_monday_to_sunday_in_utc():
    assert to_date(monday_of(to_day(date(2026, 3, 4)))) == date(2026, 3, 2)  # a Wednesday
    assert to_date(monday_of(to_day(date(2026, 3, 2)))) == date(2026, 3, 2)
    assert to_date(monday_of(to_day(date(2026, 3, 8)))) == date(2026, 3, 2)  # the Sunday
    sunday_late = 1_773_014_399  # 2026-03-08 23:59:59 UTC
    assert to_date(week_of(sunday_late)) == date(2026, 3, 2)
    assert to_date(week_of(sunday_late + 1)) == date(2026, 3, 9)
    mondays = [to_day(date(2026, 3, 2)) + 7 * n for n in (0, 1, 2, 5, 6, 9)]
    assert list(week_ranges(mondays)) == [
        (mondays[0], mondays[2] + 7),
        (mondays[3], mondays[4] + 7),
        (mondays[5], mondays[5] + 7),
    ]


def test_presets_end_with_the_current_week_and_custom_dates_widen_to_whole_weeks():
    today = date(2026, 3, 4)
    params = parse_insight_args({}, shop_ids=set(), today=today)
    assert (params.period, params.weeks) == ("13w", 13)
    assert (params.first_date, params.last_date) == (date(2025, 12, 8), date(2026, 3, 8))
    assert params.grain == "week" and params.query_args() == {}
    params = parse_insight_args({"period": "52w"}, shop_ids=set(), today=today)
    assert params.weeks == 52 and params.grain == "month" and params.query_args() == {"period": "52w"}
    params = parse_insight_args(
        {"from": "2026-01-01", "to": "2026-01-31", "by": "week"}, shop_ids={7}, today=today
    )
    assert (params.first_date, params.last_date) == (date(2025, 12, 29), date(2026, 2, 1))
    assert params.query_args() == {"from": "2025-12-29", "to": "2026-02-01", "by": "week"}
    params = parse_insight_args({"from": "2016-01-01", "to": "2026-03-01"}, shop_ids=set(), today=today)
    assert params.weeks == MAX_WEEKS and params.messages
    params = parse_insight_args({"shop": "7", "from": "1999-01-01"}, shop_ids={7}, today=today)
    assert params.shop_id == 7 and params.period == "13w" and params.messages


def test_answer_ranges_follow_their_bounds():
    assert len(ANSWER_BOUNDS) == 100 and list(ANSWER_BOUNDS) == sorted(set(ANSWER_BOUNDS))
    for seconds in [
        0,
        1,
        299,
        300,
        3599,
        3600,
        4499,
        4500,
        21599,
        21600,
        86400,
        172799,
        172800,
        345599,
        345600,
        10**7,
    ]:
        index = answer_bucket(seconds)
        low = ANSWER_BOUNDS[index - 1] if index else 0
        high = ANSWER_BOUNDS[index] if index < len(ANSWER_BOUNDS) else None
        assert low <= seconds and (high is None or seconds < high), seconds
    for bound in ANSWER_BOUNDS:
        assert answer_bucket(bound) == answer_bucket(bound - 1) + 1


def test_the_median_is_the_range_of_the_lower_median():
    times = [0] * (len(ANSWER_BOUNDS) + 1)
    assert median_range(times) is None and median_label(None) == "—"
    for seconds in (60, 100, 4000, 4100, 90_000):  # 3rd of 5 answers: 4000 s, in [3600, 4500)
        times[answer_bucket(seconds)] += 1
    assert median_range(times) == MedianRange(3600, 4500)
    assert median_label(MedianRange(3600, 4500)) == "1 h – 1 h 15 min"
    times[answer_bucket(10)] += 1  # six answers: the lower median is the 3rd, 100 s
    assert median_range(times) == MedianRange(0, 300) and median_label(median_range(times)) == "under 5 min"
    assert median_label(MedianRange(345_600, None)) == "over 96 h"


def test_stacked_columns_scale_to_a_round_top_and_keep_every_value():
    chart = charts.columns(
        "c",
        "Requests",
        "desc",
        [("01 Mar", "2026"), ("08 Mar", "")],
        [("a", "A", "c-a"), ("b", "B", "c-b")],
        [{"a": 3, "b": 4}, {"a": 0, "b": 9}],
        lambda value: f"{value:g}",
    )
    assert [rect.title for rect in chart.rects] == ["01 Mar 2026: A 3", "01 Mar 2026: B 4", "08 Mar: B 9"]
    heights = [rect.height for rect in chart.rects]
    assert heights[0] * 4 == pytest.approx(heights[1] * 3) and heights[2] == pytest.approx(heights[0] * 3)
    assert [label.text for label in chart.labels if label.anchor == "end"] == ["0", "5", "10"]
    assert {label.text for label in chart.labels} >= {"01 Mar", "2026", "08 Mar"}
