"""What the order page's shipping section and the seller's action log show of shipments (read only)."""

from __future__ import annotations

import uuid

from flask import url_for
from sqlalchemy import select

from connector_app.actions.signals import SHIPMENT, LogEntry
from connector_app.extensions import db
from connector_app.orders.carriers import Carriers, carriers_for
from connector_app.orders.models import CORRECT, SHIP_OPEN, Order, OrderLine, Shipment
from connector_app.orders.shipping import (
    WINDOW_REGIONS,
    claimed_lines,
    correction_blocker,
    method_for,
    ship_blocker,
    shippable_lines,
)
from connector_app.tenancy import for_seller


def shipments_of(seller_id: int, order_pk: int) -> list[Shipment]:
    return list(
        db.session.scalars(
            for_seller(Shipment, seller_id).where(Shipment.order_pk == order_pk).order_by(Shipment.id)
        )
    )


def any_open(shipments: list[Shipment]) -> bool:
    return any(s.state in SHIP_OPEN for s in shipments)


def shipping_panel(order: Order, lines: list[OrderLine], form: dict | None, error: str | None) -> dict:
    """What the page's shipping section shows: why not, or the ship form (carriers, items), the
    correction form, and the shipments so far. Reads the carriers cache (a job fills it)."""
    shipments = shipments_of(order.seller_id, order.id)
    blocker = ship_blocker(order)
    free = [] if blocker else shippable_lines(order, lines, claimed_lines(order.seller_id, order.id))
    fix_blocker = correction_blocker(order.seller_id, order, lines)
    wants_carriers = bool(free) or fix_blocker is None
    carriers = carriers_for(order) if wants_carriers else Carriers()
    return {
        "ship_blocker": blocker,
        "ship_method": method_for(order.shop),
        "ship_lines": free,
        "shipments": shipments,
        "shipping_busy": any_open(shipments) or carriers.loading,
        "correction_blocker": fix_blocker,
        "correction_window": (order.shop.region or "").upper() in WINDOW_REGIONS,
        "carriers": carriers,
        "ship_form": form or {"lines": [line.line_id for line in free]},
        # each form its own key: the key names one submission of one form
        "ship_key": form["key"] if form and not form.get("fixing") else uuid.uuid4().hex,
        "fix_key": form["key"] if form and form.get("fixing") else uuid.uuid4().hex,
        "ship_error": error,
    }


_LOG_OUTCOME = {
    "queued": ("Sending…", "info"),
    "sending": ("Sending…", "info"),
    "done": ("Done", "ok"),
    "refused": ("Refused by TikTok", "danger"),
    "check": ("Your turn: check in Seller Center", "warn"),
    "withdrawn": ("Not shipped (checked)", "warn"),
}


def log_entries(_sender=None, *, seller_id: int, limit: int, **_kwargs) -> list:
    """``actions.signals.log_entries``: the seller's latest shipments for the action log."""
    rows = db.session.execute(
        select(Shipment, Order.order_id)
        .join(Order, Order.id == Shipment.order_pk)
        .where(Shipment.seller_id == seller_id, Order.seller_id == seller_id)
        .order_by(Shipment.created_at.desc(), Shipment.id.desc())
        .limit(limit)
    ).all()
    entries = []
    for shipment, order_id in rows:
        outcome, badge = _LOG_OUTCOME.get(shipment.state, (shipment.state, "info"))
        if shipment.kind == CORRECT:
            action = f"Corrected tracking to {shipment.provider_name} {shipment.tracking_number}"
        else:
            items = f"{len(shipment.line_ids)} item" + ("" if len(shipment.line_ids) == 1 else "s")
            action = f"Marked shipped: {shipment.provider_name} {shipment.tracking_number} ({items})"
        entries.append(
            LogEntry(
                at=shipment.created_at,
                kind=SHIPMENT,
                title=action,
                actor=shipment.actor,
                outcome=outcome,
                tone=badge,
                subject=f"Order {order_id}",
                subject_url=url_for("orders.detail", order_pk=shipment.order_pk, _anchor="ship-title"),
                detail=shipment.message,
            )
        )
    return entries
