"""The page's numbers equal a direct computation over the seeded data.

Requests, line items and seller turns are written by the app's own writers (``upsert_requests``, and
``record_answer`` for decisions sent through the app) with known reasons, amounts, SKUs, shops in two
currencies, and answer times; the summaries are refreshed by the job's function; then every figure the
page shows — its CSV files, table by table, and the summary cards — is compared with plain Python over
the stored rows. The seller turn classification, week placement, fault mapping and medians are
recomputed here independently of the summaries' SQL.
"""

from __future__ import annotations

import math
import random
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from connector_app.extensions import db
from connector_app.insights import reasons as r
from connector_app.insights.counting import ANSWER_BOUNDS
from connector_app.marketplaces.tiktok.types import LineItem
from connector_app.returns.models import ReturnLineItem, ReturnRequest, SellerTurn
from connector_app.returns.services import upsert_requests
from connector_app.returns.turns import record_answer
from connector_app.timeutil import to_unix, utcnow
from tests.insights.conftest import DAY, HOUR, period_start, read_csv, this_monday, unix

REASONS = [
    ("ecom_order_delivered_refund_and_return_reason_damaged", "Package or item damaged"),
    ("ecom_order_delivered_refund_and_return_reason_not_as_described", "Not as described"),
    ("ecom_order_delivered_refund_and_return_reason_no_longer_needed", "No longer needed"),
    ("ecom_order_to_ship_cancel_reason_better_price", "Better price"),
    ("ecom_brand_new_reason_nobody_mapped", "=A reason TikTok added later"),  # unknown, formula-like text
    (None, None),
]
FINAL = {  # how a request ends: (status, refunded?)
    "refund": ("RETURN_OR_REFUND_REQUEST_SUCCESS", True),
    "complete": ("RETURN_OR_REFUND_REQUEST_COMPLETE", True),
    "rejected": ("REFUND_OR_RETURN_REQUEST_REJECT", False),
    "shipping": ("AWAITING_BUYER_SHIP", False),
    "withdrawn": ("RETURN_OR_REFUND_REQUEST_CANCEL", False),
}
TYPES = ("REFUND", "RETURN_AND_REFUND", "REPLACEMENT")
WEEKS = 13


def _lines(factories, request_id: str, skus: list[str | None], total: str, currency: str):
    share = (Decimal(total) / len(skus)).quantize(Decimal("0.01"))
    return tuple(
        LineItem(
            line_item_id=f"{request_id}-{n}",
            order_line_item_id=f"{request_id}-o{n}",
            sku_id=f"sku-{n}",
            seller_sku=sku,
            sku_name="Default",
            product_name=f"Product {sku}" if sku else "Gift card",
            image_url=None,
            refund_total=share,
            currency=currency,
        )
        for n, sku in enumerate(skus, start=1)
    )


def seed(app, factories, us_shop, gb_shop, rng: random.Random) -> None:
    """About 90 requests over the last 13 weeks (and a few before), in two shops and currencies."""
    now = int(utcnow().timestamp())
    start = unix(period_start(WEEKS), 0)
    n = 0
    for shop, currency in ((us_shop, "USD"), (gb_shop, "GBP")):
        pages: list[list] = [[], []]  # first snapshots, then how they ended
        for _ in range(45):
            n += 1
            request_id = f"5768{n:014d}"
            created = rng.randrange(start - 3 * 7 * DAY, now - HOUR)  # some before the period
            reason, text = rng.choice(REASONS)
            total = f"{rng.randrange(500, 9_000) / 100:.2f}"
            skus = rng.choice([["MUG-1"], ["APRON-2"], ["RING-3"], ["MUG-1", "RING-3"], [None], ["apron-2"]])
            if rng.random() < 0.2:
                kind, rtype = "cancellation", "CANCEL"
            else:
                kind, rtype = "return", rng.choice(TYPES)
            base = dict(
                request_id=request_id,
                kind=kind,
                request_type=rtype,
                currency=currency,
                total=total,
                create_time=created,
                reason=reason,
                reason_text=text,
                line_items=_lines(factories, request_id, skus, total, currency),
            )
            end, _refunded = FINAL[rng.choice(list(FINAL))]
            if kind == "cancellation":
                end = "CANCELLATION_REQUEST_SUCCESS" if end.endswith(("SUCCESS", "COMPLETE")) else end
                end = "CANCELLATION_REQUEST_CANCEL" if end.endswith("_CANCEL") else end
            waits = rng.random() < 0.7
            deadline = created + 48 * HOUR
            if waits:
                pending = (
                    "CANCELLATION_REQUEST_PENDING"
                    if kind == "cancellation"
                    else "RETURN_OR_REFUND_REQUEST_PENDING"
                )
                action = "SELLER_RESPOND_CANCEL" if kind == "cancellation" else "SELLER_RESPOND_RETURN"
                pages[0].append(
                    factories.aftersale(
                        status=pending, update_time=created, next_action=action, deadline=deadline, **base
                    )
                )
                if deadline > now and rng.random() < 0.5:
                    continue  # still waiting
                # Answered on TikTok within minutes to hours, or left until TikTok decided.
                delay = rng.choice(
                    [7 * 60, 50 * 60, 3 * HOUR + 600, 20 * HOUR, 48 * HOUR, 49 * HOUR, 60 * HOUR]
                )
                ended = min(created + delay, now - 60)
                pages[1].append(factories.aftersale(status=end, update_time=ended, **base))
            else:
                pages[0].append(factories.aftersale(status=end, update_time=min(created + HOUR, now), **base))
        factories.returns(shop, pages[0])
        factories.returns(shop, pages[1], source="webhook")
    # Decisions sent through the app: one answered in time, one after its deadline passed.
    with app.app_context():
        for shop, started, decision in (
            (us_shop, now - 5 * HOUR, "APPROVE_RETURN"),
            (gb_shop, now - 60 * HOUR, "REJECT_RETURN"),
        ):
            n += 1
            request_id = f"5768{n:014d}"
            item = factories.aftersale(
                request_id=request_id,
                currency="USD" if shop is us_shop else "GBP",
                total="42.00",
                create_time=started,
                update_time=started,
                next_action="SELLER_RESPOND_RETURN",
                deadline=started + 48 * HOUR,
                reason=REASONS[0][0],
            )
            upsert_requests(db.session.merge(shop), [item])
            db.session.commit()
            pk = db.session.scalar(select(ReturnRequest.id).where(ReturnRequest.request_id == request_id))
            assert record_answer(shop.seller_id, pk, decision, utcnow()) is not None
            db.session.commit()
        db.session.remove()


# --- the direct computation ------------------------------------------------------------------


def week_of(moment: int) -> date:
    """The Monday (UTC) of the week of a unix moment."""
    day = datetime.fromtimestamp(moment, UTC).date()
    return day - timedelta(days=day.weekday())


def type_key(row) -> str:
    if row.kind == "cancellation":
        return "cancellation"
    return {"REFUND": "refund", "RETURN_AND_REFUND": "return_and_refund", "REPLACEMENT": "replacement"}.get(
        row.request_type, "other"
    )


def cents(amount) -> int:
    return int((Decimal(amount or 0) * 100).to_integral_value())


def expected(app, seller_id: int, shop_id: int | None, weeks: int = WEEKS) -> dict:
    first, last = period_start(weeks), this_monday() + timedelta(days=6)
    with app.app_context():
        requests = db.session.scalars(select(ReturnRequest).where(ReturnRequest.seller_id == seller_id)).all()
        lines = db.session.scalars(select(ReturnLineItem).where(ReturnLineItem.seller_id == seller_id)).all()
        turns = db.session.execute(
            select(SellerTurn, ReturnRequest.tiktok_shop_id)
            .join(ReturnRequest, ReturnRequest.id == SellerTurn.request_pk)
            .where(SellerTurn.seller_id == seller_id)
        ).all()
        db.session.expunge_all()
    inside = {
        row.id: row
        for row in requests
        if first <= week_of(row.create_time) <= last and (shop_id is None or row.tiktok_shop_id == shop_id)
    }
    weeks_ = defaultdict(Counter)
    refunds = defaultdict(Counter)
    reasons = defaultdict(lambda: {"requests": 0, "refunded": 0, "money": Counter()})
    for row in inside.values():
        week = week_of(row.create_time)
        refunded = row.status in r.REFUNDED_STATUSES
        weeks_[week][type_key(row)] += 1
        weeks_[week]["refunded"] += refunded
        reason = reasons[row.reason or ""]
        reason["requests"] += 1
        reason["refunded"] += refunded
        if refunded:
            refunds[row.currency][week] += cents(row.refund_total)
            reason["money"][row.currency] += cents(row.refund_total)
    products = defaultdict(
        lambda: {"requests": set(), "units": 0, "faults": Counter(), "refunded": set(), "money": Counter()}
    )
    for line in lines:
        row = inside.get(line.request_pk)
        if row is None:
            continue
        product = products[line.seller_sku or ""]
        product["requests"].add(row.id)
        product["units"] += line.quantity
        product["faults"][(row.id, r.fault_of(row.reason))] = 1
        if row.status in r.REFUNDED_STATUSES:
            product["refunded"].add(row.id)
            product["money"][row.currency] += cents(line.refund_total)
    answers = defaultdict(
        lambda: {
            "on_time": 0,
            "late": 0,
            "decided": 0,
            "withdrawn": 0,
            "waiting": 0,
            "times": [],
            "money": Counter(),
        }
    )
    for turn, turn_shop in turns:
        week = week_of(turn.started_at)
        if not first <= week <= last or (shop_id is not None and turn_shop != shop_id):
            continue
        slot = answers[week]
        if turn.answered_at is not None:
            moment = to_unix(turn.answered_at)
        elif turn.ended_at is None:
            slot["waiting"] += 1
            continue
        elif turn.end_status in r.WITHDRAWN_STATUSES:
            slot["withdrawn"] += 1
            continue
        elif turn.outcome == "decided_by_tiktok":
            slot["decided"] += 1
            slot["money"][turn.currency] += cents(turn.refund_total)
            continue
        else:
            moment = turn.ended_at
        slot["on_time" if turn.deadline is None or moment <= turn.deadline else "late"] += 1
        slot["times"].append(max(0, moment - turn.started_at))
    return {
        "first": first,
        "weeks": weeks_,
        "refunds": refunds,
        "reasons": reasons,
        "products": products,
        "answers": answers,
        "inside": inside,
    }


def median_bounds(times: list[int]) -> tuple[str, str]:
    """(low, high) minutes of the answer-time range holding the lower median, as the CSV gives them."""
    if not times:
        return "", ""
    value = sorted(times)[math.ceil(len(times) / 2) - 1]
    high = next((b for b in ANSWER_BOUNDS if value < b), None)
    low = max((b for b in ANSWER_BOUNDS if b <= value), default=0)
    return str(low // 60), "" if high is None else str(high // 60)


def money(cents_: int) -> str:
    return f"{Decimal(cents_) / 100:.2f}"


# --- the tests --------------------------------------------------------------------------------


@pytest.fixture
def seeded(app, factories, seller, us_shop, gb_shop, refresh):
    seed(app, factories, us_shop, gb_shop, random.Random(20))
    refresh(seller.id)
    return seller


@pytest.mark.parametrize("scope", ["all", "us", "gb"])
def test_every_table_equals_a_direct_computation(app, logged_in, seeded, us_shop, gb_shop, scope):
    shop_id = {"all": None, "us": us_shop.id, "gb": gb_shop.id}[scope]
    query = "" if shop_id is None else f"&shop={shop_id}"
    want = expected(app, seeded.id, shop_id)
    assert len(want["inside"]) > 20 and len(want["answers"]) > 3  # the seed covers the cases

    rows = read_csv(logged_in.get(f"/insights/export.csv?table=requests&by=week{query}"))
    assert len(rows) == WEEKS
    for row in rows:
        week = want["weeks"].get(want["first"].fromisoformat(row["Period start"]), Counter())
        for key, label in r.TYPES.items():
            assert int(row[label]) == week[key], (row, key)
        assert int(row["Total requests"]) == sum(week[k] for k in r.TYPES)
        assert int(row["Refunded requests"]) == week["refunded"]

    rows = read_csv(logged_in.get(f"/insights/export.csv?table=refunds&by=week{query}"))
    currencies = {c for c, weeks in want["refunds"].items() if sum(weeks.values())}
    assert {row["Currency"] for row in rows} == currencies
    for row in rows:
        week = want["first"].fromisoformat(row["Period start"])
        assert row["Refunded amount"] == money(want["refunds"][row["Currency"]][week])

    rows = read_csv(logged_in.get(f"/insights/export.csv?table=reasons{query}"))
    assert {row["Reason key"] for row in rows} == set(want["reasons"])
    total = sum(reason["requests"] for reason in want["reasons"].values())
    for row in rows:
        reason = want["reasons"][row["Reason key"]]
        assert int(row["Requests"]) == reason["requests"]
        assert int(row["Refunded requests"]) == reason["refunded"]
        assert row["Fault"] == r.FAULT_LABELS[r.fault_of(row["Reason key"])]
        assert row["Share of requests (%)"] == f"{reason['requests'] / total * 100:.1f}"
        for currency in ("USD", "GBP"):
            column = f"Refunded amount ({currency})"
            if column in row:
                assert row[column] == money(reason["money"][currency])
    unknown = next(row for row in rows if row["Reason key"] == "ecom_brand_new_reason_nobody_mapped")
    assert unknown["Fault"] == "Other" and unknown["Reason"] == "'=A reason TikTok added later"

    rows = read_csv(logged_in.get(f"/insights/export.csv?table=products{query}"))
    assert {row["SKU"] for row in rows} == set(want["products"])
    for row in rows:
        product = want["products"][row["SKU"]]
        assert int(row["Requests"]) == len(product["requests"])
        assert int(row["Units returned"]) == product["units"]
        faults = Counter(fault for (_pk, fault) in product["faults"])
        assert int(row["Seller-fault requests"]) == faults[r.SELLER_FAULT]
        assert int(row["Buyer-fault requests"]) == faults[r.BUYER_FAULT]
        assert int(row["Other requests"]) == faults[r.OTHER]
        assert int(row["Refunded requests"]) == len(product["refunded"])
        for currency in ("USD", "GBP"):
            column = f"Refunded amount ({currency})"
            if column in row:
                assert row[column] == money(product["money"][currency])
        assert row["Units sold"] == row["Return rate (%)"] == ""  # no orders: no rate

    rows = read_csv(logged_in.get(f"/insights/export.csv?table=answers{query}"))
    assert len(rows) == WEEKS
    for row in rows:
        week = want["answers"].get(want["first"].fromisoformat(row["Week start"]))
        if week is None:
            assert row["Answered by the deadline"] == row["Decided by TikTok"] == row["Still waiting"] == "0"
            continue
        assert int(row["Answered by the deadline"]) == week["on_time"]
        assert int(row["Answered late"]) == week["late"]
        assert int(row["Decided by TikTok"]) == week["decided"]
        assert int(row["Withdrawn by the buyer"]) == week["withdrawn"]
        assert int(row["Still waiting"]) == week["waiting"]
        concluded = week["on_time"] + week["late"] + week["decided"]
        share = f"{week['on_time'] / concluded * 100:.1f}" if concluded else ""
        assert row["Answered by the deadline (%)"] == share
        assert (row["Median from (minutes)"], row["Median to (minutes)"]) == median_bounds(week["times"])
        for currency in ("USD", "GBP"):
            column = f"Refund at stake when TikTok decided ({currency})"
            if column in row:
                assert row[column] == money(week["money"][currency])


def test_the_summary_cards_show_the_same_totals(app, logged_in, seeded):
    want = expected(app, seeded.id, None)
    html = logged_in.get("/insights").get_data(as_text=True)
    total = len(want["inside"])
    assert f'<p class="card-figure">{total:,}</p>' in html
    for currency, weeks in want["refunds"].items():
        amount = sum(weeks.values())
        if amount:
            assert f"{Decimal(amount) / 100:,.2f} {currency}" in html  # one amount per currency
    seller_fault = sum(1 for row in want["inside"].values() if r.fault_of(row.reason) == r.SELLER_FAULT)
    assert f'<p class="card-figure">{seller_fault / total:.0%}</p>' in html
    answers = want["answers"].values()
    on_time = sum(a["on_time"] for a in answers)
    concluded = on_time + sum(a["late"] + a["decided"] for a in answers)
    assert f'<p class="card-figure">{on_time / concluded:.0%}</p>' in html
    decided = sum(a["decided"] for a in answers)
    assert f'<p class="card-figure">{decided:,}</p>' in html


def test_monthly_buckets_add_up_the_same_requests(app, logged_in, seeded):
    want = expected(app, seeded.id, None)
    by_month = Counter(
        f"{datetime.fromtimestamp(row.create_time, UTC):%Y-%m}" for row in want["inside"].values()
    )
    rows = read_csv(logged_in.get("/insights/export.csv?table=requests&by=month"))
    found = {row["Period start"][:7]: int(row["Total requests"]) for row in rows}
    assert {month: n for month, n in found.items() if n} == dict(by_month)
    assert rows[0]["Period start"] == want["first"].isoformat()
    assert rows[0]["Partial period"] == ("no" if want["first"].day == 1 else "yes")
    assert all(row["Period start"][:7] == row["Period end"][:7] for row in rows)


def test_a_custom_period_counts_only_its_weeks(app, logged_in, seeded):
    want = expected(app, seeded.id, None, weeks=WEEKS + 3)
    frm = period_start(WEEKS + 3) + timedelta(days=3)  # a Thursday: widened to its Monday
    to = this_monday() - timedelta(days=40)
    rows = read_csv(logged_in.get(f"/insights/export.csv?table=requests&from={frm}&to={to}&by=week"))
    assert rows[0]["Period start"] == period_start(WEEKS + 3).isoformat()
    last = to - timedelta(days=to.weekday()) + timedelta(days=6)
    assert rows[-1]["Period end"] == last.isoformat()
    for row in rows:
        week = want["weeks"].get(want["first"].fromisoformat(row["Period start"]), Counter())
        assert int(row["Total requests"]) == sum(week[k] for k in r.TYPES)
