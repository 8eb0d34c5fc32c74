"""Everything the insights page (and its CSV files) needs for one view, gathered by the view.

A fixed number of statements whatever the seller's size: the shops, the refresh state (and one index
probe for changes not yet counted), one grouped query per summary table, the Etsy links of the SKUs
shown (``returns.sku_links``) and the orders feature's units sold (``insights.signals.units_sold``).
"""

from __future__ import annotations

from flask import request

from connector_app.connect.models import TikTokShop
from connector_app.extensions import db
from connector_app.insights import charts, queries
from connector_app.insights import reasons as r
from connector_app.insights.periods import InsightParams, parse_insight_args
from connector_app.insights.report import RATE_COVERED, TOP_PRODUCTS, Report, build_report
from connector_app.insights.signals import ask_units_sold
from connector_app.insights.summaries import has_unread_changes
from connector_app.returns.models import ReturnRequest
from connector_app.returns.signals import links_for_skus
from connector_app.tenancy import for_seller
from connector_app.timeutil import utcnow

TYPE_CSS = {
    "refund": "c-refund",
    "return_and_refund": "c-return",
    "replacement": "c-replacement",
    "cancellation": "c-cancel",
    "other": "c-other",
}
FAULT_CSS = {r.SELLER_FAULT: "c-seller", r.BUYER_FAULT: "c-buyer", r.OTHER: "c-other"}


def load_shops(seller_id: int) -> list[TikTokShop]:
    return list(db.session.scalars(for_seller(TikTokShop, seller_id).order_by(TikTokShop.name)))


def gather(seller_id: int, *, all_products: bool = False) -> dict:
    """The page's context: shops, params, the report and its charts, and how fresh the figures are.

    ``all_products``: links and units sold for every product (the CSV), not only those the page lists.
    """
    shops = load_shops(seller_id)
    params = parse_insight_args(request.args, shop_ids={shop.id for shop in shops})
    state = queries.state(seller_id)
    context = {"shops": shops, "params": params, "state": state, "several_shops": len(shops) > 1}
    if not shops:
        return {**context, "report": None, "charts": {}, "pending": False, "has_requests": False}
    pending = False
    if state is not None and state.refreshed_at is not None:
        pending = has_unread_changes(seller_id, state.refreshed_at)
    has_requests = state is not None or _any_request(seller_id)
    report = build_report(
        params,
        slice_rows=queries.slices(seller_id, params),
        reason_rows=queries.reasons(seller_id, params),
        sku_rows=queries.skus(seller_id, params, state.sku_running_through if state else None),
        turn_rows=queries.turn_weeks(seller_id, params),
    )
    products = report.products if all_products else report.products[:TOP_PRODUCTS]
    skus = [row.sku for row in products if row.sku]
    links = links_for_skus(seller_id, skus) if skus else {}
    shop_ids = [params.shop_id] if params.shop_id is not None else [shop.id for shop in shops]
    units = None
    if skus:
        units = ask_units_sold(seller_id, shop_ids, params.start_seconds, params.end_seconds, skus)
    report.apply_listings(links)
    report.apply_orders(units, products, int(utcnow().timestamp()))
    return {
        **context,
        "report": report,
        "charts": page_charts(report, params),
        "pending": pending,
        "has_requests": has_requests,
        "rate_covered": report.rate_status == RATE_COVERED,
    }


def _any_request(seller_id: int) -> bool:
    query = for_seller(ReturnRequest, seller_id).with_only_columns(ReturnRequest.id).limit(1)
    return db.session.scalar(query) is not None


def _count(value: float) -> str:
    return f"{int(value):,}"


def _amount(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:,.2f}".rstrip("0").rstrip(".")


def _week_axis(mondays: list) -> list[tuple[str, str]]:
    """'15 Dec' under each week, with the year under the first one and the first of each year."""
    return [
        (f"{monday:%d %b}", f"{monday:%Y}" if index == 0 or monday.day <= 7 and monday.month == 1 else "")
        for index, monday in enumerate(mondays)
    ]


def _axis(report: Report, params: InsightParams) -> list[tuple[str, str]]:
    if params.grain == "week":
        return _week_axis([bucket.first for bucket in report.buckets])
    return [
        (f"{b.first:%b}", f"{b.first:%Y}" if index == 0 or b.first.month == 1 else "")
        for index, b in enumerate(report.buckets)
    ]


def page_charts(report: Report, params: InsightParams) -> dict[str, charts.Chart]:
    grain = "week" if params.grain == "week" else "month"
    categories = _axis(report, params)
    peak = max(report.buckets, key=lambda b: b.total, default=None)
    peak_text = f"; most in the {grain} of {peak.label} ({peak.total:,})" if peak and peak.total else ""
    series = [(key, label, TYPE_CSS[key]) for key, label in r.TYPES.items() if report.type_totals.get(key)]
    found: dict[str, charts.Chart] = {
        "requests": charts.columns(
            "chart-requests",
            f"Requests per {grain}, by type",
            f"{report.requests:,} requests in {params.label.lower()}{peak_text}.",
            categories,
            series or [("other", "Requests", "c-other")],
            [dict(bucket.requests) for bucket in report.buckets],
            _count,
        )
    }
    for currency in report.currencies:
        total = report.refund[currency]
        found[f"refund-{currency}"] = charts.columns(
            f"chart-refund-{currency.lower()}",
            f"Refunded amount per {grain}, {currency}",
            f"{total:,.2f} {currency} refunded on requests opened in {params.label.lower()}.",
            categories,
            [("amount", f"Refunded ({currency})", "c-refunded")],
            [{"amount": float(bucket.refund.get(currency, 0))} for bucket in report.buckets],
            _amount,
            integer=False,
        )
    rows = [(row.label, row.requests, FAULT_CSS[row.fault]) for row in report.charted_reasons]
    top = report.reasons[0] if report.reasons else None
    found["reasons"] = charts.bars(
        "chart-reasons",
        "Top reasons",
        f"Most common: {top.label} ({top.requests:,})." if top else "No requests in this period.",
        rows,
        _count,
        legend=[(FAULT_CSS[key], label) for key, label in r.FAULT_LABELS.items()],
    )
    weeks = report.answer_weeks
    answered_series = [
        ("on_time", "Answered by the deadline", "c-ontime"),
        ("late", "Answered late", "c-late"),
        ("decided", "Decided by TikTok", "c-decided"),
    ]
    share = report.answers.on_time_share
    found["answers"] = charts.columns(
        "chart-answers",
        "Requests that waited on you, by week they arrived",
        (
            f"{report.answers.on_time:,} of {report.answers.concluded:,} answered by the deadline"
            f" ({share:.0%}); {report.answers.decided:,} decided by TikTok."
            if share is not None
            else "No request needed your answer in this period."
        ),
        _week_axis([week.first for week in weeks]),
        answered_series,
        [{"on_time": w.on_time, "late": w.late, "decided": w.decided} for w in weeks],
        _count,
    )
    return found
