"""Read side: a period's figures added up from the summary tables, one grouped query per table.

Every query starts from ``tenancy.for_seller`` and is a range of the ``(seller_id, day|week)`` index:
the rows read grow with the period's weeks, not with the number of requests (a year of a
200,000-request seller is a few thousand summary rows), and products are read as two rows each
(running totals) whatever the period.
"""

from __future__ import annotations

from sqlalchemy import case, func

from connector_app.extensions import db
from connector_app.insights.models import (
    SKU_MEASURES,
    InsightReasonWeek,
    InsightSkuRunning,
    InsightSlice,
    InsightState,
    InsightTurnWeek,
)
from connector_app.insights.periods import InsightParams
from connector_app.tenancy import for_seller


def _scoped(model, seller_id: int, params: InsightParams, *columns):
    key = model.first_day if model is InsightSlice else model.week
    query = for_seller(model, seller_id).with_only_columns(*columns)
    query = query.where(key >= params.start, key < params.end)
    if params.shop_id is not None:
        query = query.where(model.tiktok_shop_id == params.shop_id)
    return query


def slices(seller_id: int, params: InsightParams) -> list:
    """(first_day, request_type, currency, requests, refunded, refund_cents) per slice, type, currency."""
    m = InsightSlice
    keys = (m.first_day, m.request_type, m.currency)
    sums = (func.sum(m.requests), func.sum(m.refunded), func.sum(m.refund_cents))
    query = _scoped(m, seller_id, params, *keys, *sums).group_by(*keys)
    return db.session.execute(query).all()


def reasons(seller_id: int, params: InsightParams) -> list:
    """(reason, currency, reason_text, requests, refunded, refund_cents) per reason key and currency."""
    m = InsightReasonWeek
    keys = (m.reason, m.currency)
    values = (func.max(m.reason_text), func.sum(m.requests), func.sum(m.refunded), func.sum(m.refund_cents))
    return db.session.execute(_scoped(m, seller_id, params, *keys, *values).group_by(*keys)).all()


def skus(seller_id: int, params: InsightParams, through: int | None) -> list:
    """(sku, currency, product_name, requests, units, seller/buyer/other fault, refunded, refund_cents)
    of the products with requests in the period: the running totals of the period's last week minus
    those of the week before it (``through``: the last week the running totals reach)."""
    if through is None:
        return []
    high, low = min(params.end - 7, through), min(params.start - 7, through)
    if high == low:
        return []
    m = InsightSkuRunning
    sign = case((m.week == high, 1), else_=-1)
    keys = (m.sku, m.currency)
    values = (func.max(m.product_name), *(func.sum(sign * getattr(m, name)) for name in SKU_MEASURES))
    query = for_seller(m, seller_id).with_only_columns(*keys, *values).where(m.week.in_((high, low)))
    if params.shop_id is not None:
        query = query.where(m.tiktok_shop_id == params.shop_id)
    return [row for row in db.session.execute(query.group_by(*keys)) if row[3]]


def turn_weeks(seller_id: int, params: InsightParams) -> list:
    """(week, currency, on_time, late, decided, withdrawn, waiting, decided_refund_cents, answer_times)
    per week, currency and shop (a few rows a week; the answer-time counts are added up in Python)."""
    m = InsightTurnWeek
    columns = (m.week, m.currency, m.on_time, m.late, m.decided, m.withdrawn, m.waiting)
    query = _scoped(m, seller_id, params, *columns, m.decided_refund_cents, m.answer_times)
    return db.session.execute(query).all()


def state(seller_id: int) -> InsightState | None:
    return db.session.scalars(for_seller(InsightState, seller_id)).first()
