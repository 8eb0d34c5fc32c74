"""CSV export of the grid: the same rows (tab, filters, sort) and the same columns, streamed.

Rows are read in keyset batches and written out batch by batch, so memory stays flat whatever the
number of requests. Cells that a spreadsheet would run as a formula are prefixed with a quote.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from connector_app.connect.models import TikTokShop
from connector_app.returns import display
from connector_app.returns.models import ReturnLineItem, ReturnRequest
from connector_app.returns.params import GridParams
from connector_app.returns.queries import iter_batches
from connector_app.templating import format_datetime

COLUMNS = (
    "Request ID",
    "Type",
    "Order ID",
    "Shop",
    "Items",
    "Reason",
    "Refund amount",
    "Currency",
    "Status",
    "Arbitration",
    "Requested",
    "Last updated",
    "Respond by",
    "Needs action",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _safe(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _items(items: list[ReturnLineItem]) -> str:
    parts = []
    for item in items:
        name = item.product_name or item.sku_name or "Item"
        sku = f" [{item.seller_sku}]" if item.seller_sku else ""
        parts.append(f"{item.quantity} × {name}{sku}")
    return "; ".join(parts)


def csv_row(row: ReturnRequest, items: list[ReturnLineItem], shops: dict[int, TikTokShop]) -> list[str]:
    shop = shops.get(row.tiktok_shop_id)
    return [
        _safe(value)
        for value in (
            row.request_id,
            display.type_label(row),
            row.order_id,
            shop.label if shop else "",
            _items(items),
            row.reason_text or row.reason or "",
            "" if row.refund_total is None else f"{row.refund_total:.2f}",
            row.currency or "",
            display.status_label(row.status),
            display.arbitration_label(row.arbitration_status),
            format_datetime(row.create_time, "%Y-%m-%d %H:%M"),
            format_datetime(row.update_time, "%Y-%m-%d %H:%M"),
            format_datetime(row.respond_by, "%Y-%m-%d %H:%M") if row.respond_by else "",
            "yes" if row.needs_action else "no",
        )
    ]


def generate_csv(
    seller_id: int, params: GridParams, shops: dict[int, TikTokShop], batch_size: int = 1000
) -> Iterator[str]:
    """The CSV text, one chunk per keyset batch."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")  # spreadsheets read the file as UTF-8
    writer.writerow(COLUMNS)
    for rows, items in iter_batches(seller_id, params, batch_size):
        for row in rows:
            writer.writerow(csv_row(row, items.get(row.id, []), shops))
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()
