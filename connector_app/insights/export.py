"""The numbers behind each chart and table of the insights page, as CSV.

One file per table (``TABLES``), for the same shop and period as the page. Money is in one column per
currency — never added across currencies — with amounts as plain decimals. Cells a spreadsheet would
run as a formula are prefixed with a quote.
"""

from __future__ import annotations

import csv
import io

from connector_app.insights import reasons as r
from connector_app.insights.report import Report, median_label

TABLES = {
    "requests": "Requests by type",
    "refunds": "Refunded amount",
    "reasons": "Reasons",
    "products": "Products",
    "answers": "How you answer",
}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _safe(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _currencies(rows, attribute: str) -> list[str]:
    return sorted({currency for row in rows for currency in getattr(row, attribute)})


def _amounts(amounts: dict, currencies: list[str]) -> list[str]:
    return [f"{amounts[c]:.2f}" if c in amounts else "0.00" for c in currencies]


def _currency_label(currency: str) -> str:
    return currency or "no currency"


def rows_for(table: str, report: Report) -> list[list[object]]:
    """The table as rows, the first one the header."""
    if table == "requests":
        header = ["Period start", "Period end", "Partial period", *r.TYPES.values()]
        rows = [[*header, "Total requests", "Refunded requests"]]
        for b in report.buckets:
            counts = [b.requests.get(key, 0) for key in r.TYPES]
            rows.append([b.first, b.last, "yes" if b.partial else "no", *counts, b.total, b.refunded])
        return rows
    if table == "refunds":
        rows = [["Period start", "Period end", "Partial period", "Currency", "Refunded amount"]]
        for currency in report.currencies:
            for b in report.buckets:
                amount = b.refund.get(currency)
                partial = "yes" if b.partial else "no"
                rows.append([b.first, b.last, partial, currency, f"{amount or 0:.2f}"])
        return rows
    if table == "reasons":
        currencies = _currencies(report.reasons, "refund")
        money = [f"Refunded amount ({_currency_label(c)})" for c in currencies]
        header = ["Reason key", "Reason", "Fault", "Requests", "Share of requests (%)", "Refunded requests"]
        rows = [[*header, *money]]
        for row in report.reasons:
            share = f"{row.share * 100:.1f}"
            fault = r.FAULT_LABELS[row.fault]
            refunds = _amounts(row.refund, currencies)
            rows.append([row.key, row.label, fault, row.requests, share, row.refunded, *refunds])
        return rows
    if table == "products":
        currencies = _currencies(report.products, "refund")
        money = [f"Refunded amount ({_currency_label(c)})" for c in currencies]
        header = ["SKU", "Product", "Etsy listing", "Requests", "Units returned", "Seller-fault requests"]
        header += ["Buyer-fault requests", "Other requests", "Refunded requests", *money]
        rows = [[*header, "Units sold", "Return rate (%)"]]
        for p in report.products:
            rate = "" if p.rate is None else f"{p.rate}"
            sold = "" if p.units_sold is None else p.units_sold
            counts = [p.requests, p.units, p.seller_fault, p.buyer_fault, p.other_fault, p.refunded]
            refunds = _amounts(p.refund, currencies)
            rows.append([p.sku, p.product, p.listing_url or "", *counts, *refunds, sold, rate])
        return rows
    if table == "answers":
        currencies = _currencies(report.answer_weeks, "decided_refund")
        money = [f"Refund at stake when TikTok decided ({_currency_label(c)})" for c in currencies]
        header = ["Week start", "Week end", "Answered by the deadline", "Answered late", "Decided by TikTok"]
        header += ["Withdrawn by the buyer", "Still waiting", "Answered by the deadline (%)"]
        rows = [[*header, "Median time to answer", "Median from (minutes)", "Median to (minutes)", *money]]
        for w in report.answer_weeks:
            share = "" if w.on_time_share is None else f"{w.on_time_share * 100:.1f}"
            median = w.median
            low = "" if median is None else median.low // 60
            high = "" if median is None or median.high is None else median.high // 60
            counts = [w.on_time, w.late, w.decided, w.withdrawn, w.waiting, share]
            refunds = _amounts(w.decided_refund, currencies)
            last = w.first.fromordinal(w.first.toordinal() + 6)
            rows.append([w.first, last, *counts, median_label(median), low, high, *refunds])
        return rows
    raise KeyError(table)


def to_csv(rows: list[list[object]]) -> str:
    buffer = io.StringIO()
    buffer.write("\ufeff")  # spreadsheets read the file as UTF-8
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([_safe(value) for value in row])
    return buffer.getvalue()
