"""Orders: a seller-fulfilled order close to its ship-by time, and an Etsy stock write that needs the
seller (the orders feature's stock ledger, ``orders.models.StockMove``).

- ``ship_by_near``: a seller-fulfilled order still awaiting shipment (``Awaiting Shipment``: not
  Fulfilled by TikTok) is within one of the seller's thresholds (the same ones as request deadlines,
  default 24 h and 4 h) of TikTok's ship-by time (``rts_sla_time``): one alert per threshold crossed,
  the tightest when several were crossed at once.
- ``etsy_stock_check``: a sale's or a cancellation's Etsy stock write could not be confirmed
  (``check``) or no Etsy listing has the SKU (``no_match``): once per stock move and kind.

The scan reads, per threshold in use, the awaiting orders whose ship-by time crossed it since the
previous scan (a range of the partial index of awaiting seller-fulfilled orders by ship-by time), the
orders synced since then (one first seen inside a threshold), and the stock moves that reached a task
state since then (the ``state, updated_at`` index).
"""

from __future__ import annotations

from sqlalchemy import select

from connector_app.connect.models import TikTokShop
from connector_app.extensions import db
from connector_app.notifications import paths
from connector_app.notifications.kinds import IMMEDIATE, Alert, Kind
from connector_app.notifications.paths import chunked
from connector_app.notifications.preferences import prefs_for, thresholds_in_use
from connector_app.notifications.sources import Found, Window
from connector_app.orders import models as om
from connector_app.timeutil import localize

GROUP = "Orders"
AWAITING = "awaiting_shipment"
SHIP_BY = Kind(
    "ship_by_near",
    "An order's ship-by time is near",
    "A paid order you ship yourself reaches one of your thresholds before TikTok's ship-by time.",
    email=IMMEDIATE,
    group=GROUP,
)
STOCK = Kind(
    "etsy_stock_check",
    "An Etsy stock update needs you",
    "An order's Etsy stock change could not be confirmed, or no Etsy listing has the SKU: check it on Etsy.",
    email=IMMEDIATE,
    group=GROUP,
)
ORDER_COLUMNS = (
    om.Order.id,
    om.Order.seller_id,
    om.Order.order_id,
    om.Order.tab,
    om.Order.is_fbt,
    om.Order.rts_sla_time,
    om.Order.total,
    om.Order.currency,
    TikTokShop.name.label("shop_name"),
    TikTokShop.region,
)


def _orders(*where):  # noqa: ANN202
    return select(*ORDER_COLUMNS).join(TikTokShop, TikTokShop.id == om.Order.shop_pk).where(*where)


def _awaiting():  # noqa: ANN202 - the partial index's condition
    return (om.Order.tab == AWAITING, om.Order.is_fbt.is_(False))


class OrdersSource:
    name = "orders"
    kinds = (SHIP_BY, STOCK)

    def scan(self, window: Window) -> Found:
        orders = {
            row.id: row
            for row in db.session.execute(
                _orders(*_awaiting(), om.Order.rts_sla_time.is_not(None), om.Order.synced_at > window.since)
            )
        }
        for hours in sorted(thresholds_in_use()):
            crossed = _orders(
                *_awaiting(),
                om.Order.rts_sla_time > window.since_unix + hours * 3600,
                om.Order.rts_sla_time <= window.now_unix + hours * 3600,
            )
            orders.update({row.id: row for row in db.session.execute(crossed)})
        alerts = self._ship_by(list(orders.values()), window)
        moves = [
            row
            for state in om.TASK_STATES
            for row in db.session.execute(
                select(
                    om.StockMove.id,
                    om.StockMove.seller_id,
                    om.StockMove.order_pk,
                    om.StockMove.sku,
                    om.StockMove.direction,
                    om.StockMove.quantity,
                    om.StockMove.state,
                    om.StockMove.message,
                    om.Order.order_id,
                )
                .join(om.Order, om.Order.id == om.StockMove.order_pk)
                .where(om.StockMove.state == state, om.StockMove.updated_at > window.since)
            )
        ]
        alerts += [self._stock(row) for row in moves]
        return Found(alerts, rows_read=len(orders) + len(moves))

    def _ship_by(self, orders: list, window: Window) -> list[Alert]:
        prefs = prefs_for(row.seller_id for row in orders)
        due = []
        for row in orders:
            stage = prefs[row.seller_id].stage_for(row.rts_sla_time - window.now_unix)
            if stage is not None:
                due.append((row, stage))
        timezones = _sellers({row.seller_id for row, _ in due})
        alerts = []
        for row, stage in due:
            zone, fmt = timezones.get(row.seller_id, (None, None))
            when = localize(int(row.rts_sla_time), zone).strftime(fmt or "%Y-%m-%d %H:%M")
            total = f" · {row.total:,.2f} {row.currency or ''}".rstrip() if row.total is not None else ""
            alerts.append(
                Alert(
                    seller_id=row.seller_id,
                    kind=SHIP_BY.key,
                    subject_type="order",
                    subject_id=str(row.id),
                    title=f"{stage} h left to ship order {row.order_id}",
                    body=(
                        f"Order {row.order_id}{total} · {row.shop_name} ({row.region}). Ship it by {when} "
                        f"({zone or 'UTC'}): TikTok's ship-by time. A late shipment counts against your shop."
                    ),
                    link=paths.path_for("orders.detail", order_pk=row.id),
                    deadline=int(row.rts_sla_time),
                    stage=stage,
                )
            )
        return alerts

    def _stock(self, row) -> Alert:
        what = "took" if row.direction == om.SALE else "put back"
        reason = (row.message or "").rstrip(". ")
        if row.state == om.NO_MATCH:
            title = f"No Etsy listing has SKU {row.sku} (order {row.order_id})"
            body = f"Order {row.order_id} {what} {row.quantity} × {row.sku}, but no Etsy listing has that SKU"
        else:
            title = f"Check the Etsy stock of SKU {row.sku} (order {row.order_id})"
            body = (
                f"Order {row.order_id} {what} {row.quantity} × {row.sku} on Etsy, and the connector could "
                "not confirm what Etsy applied. It is not written again on its own: check the listing on Etsy"
            )
        return Alert(
            seller_id=row.seller_id,
            kind=STOCK.key,
            subject_type="stock",
            subject_id=str(row.id),
            title=title,
            body=body + (f" ({reason})." if reason else "."),
            link=paths.path_for("orders.detail", order_pk=row.order_pk),
        )

    def still_relevant(self, notifications: list) -> set[int]:
        """A ship-by alert while the order still awaits shipment; a stock task while it is still one."""
        orders = {int(n.subject_id) for n in notifications if n.kind == SHIP_BY.key}
        moves = {int(n.subject_id) for n in notifications if n.kind == STOCK.key}
        awaiting: set[int] = set()
        for chunk in chunked(orders):
            awaiting.update(
                db.session.scalars(select(om.Order.id).where(om.Order.id.in_(chunk), *_awaiting()))
            )
        open_moves: set[int] = set()
        for chunk in chunked(moves):
            open_moves.update(
                db.session.scalars(
                    select(om.StockMove.id).where(
                        om.StockMove.id.in_(chunk), om.StockMove.state.in_(om.TASK_STATES)
                    )
                )
            )
        return {
            n.id
            for n in notifications
            if (n.kind == SHIP_BY.key and int(n.subject_id) in awaiting)
            or (n.kind == STOCK.key and int(n.subject_id) in open_moves)
        }


def _sellers(ids: set[int]) -> dict[int, tuple[str | None, str | None]]:
    from connector_app.accounts.models import Seller

    out: dict[int, tuple[str | None, str | None]] = {}
    for chunk in chunked(ids):
        for s in db.session.execute(
            select(Seller.id, Seller.timezone, Seller.date_format).where(Seller.id.in_(chunk))
        ):
            out[s.id] = (s.timezone, s.date_format)
    return out


SOURCE = OrdersSource()
