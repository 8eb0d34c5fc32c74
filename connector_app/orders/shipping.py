"""Ship from the app, web side: what can be shipped (and why not), and recording a shipment or a
tracking correction exactly once. Services flush; the caller commits, and the send itself runs in
``orders.shipping_jobs`` after the commit.

Exactly once starts here: the form's ``key`` is UNIQUE (a resent form finds the first row), every
shipped line is claimed in ``order_shipment_lines`` UNIQUE per (order, line) (two tabs cannot ship the
same item), and a correction carries ``correction_of`` UNIQUE (TikTok corrects a tracking number once).
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from connector_app.connect.models import TikTokShop
from connector_app.extensions import db
from connector_app.marketplaces.tiktok import fulfillment
from connector_app.orders.carriers import Carriers
from connector_app.orders.models import (
    CORRECT,
    SHIP,
    SHIP_DONE,
    Order,
    OrderLine,
    Shipment,
    ShipmentLine,
)
from connector_app.orders.tabs import SHIPPABLE, status_label
from connector_app.tenancy import for_seller
from connector_app.timeutil import ensure_aware, utcnow
from connector_app.transactions import enqueue_after_commit

log = logging.getLogger(__name__)

SEND_JOB = "connector_app.orders.shipping_jobs.send_shipment"
CORRECTION_WINDOW = timedelta(hours=72)  # US, UK, SEA: within 72 h of shipping (elsewhere TikTok decides)
WINDOW_REGIONS = frozenset({"US", "GB", "UK", "SG", "MY", "TH", "VN", "PH", "ID"})
TRACKING = re.compile(r"[A-Za-z0-9][A-Za-z0-9 \-]{2,62}[A-Za-z0-9]")


class ShipError(ValueError):
    """The seller's request cannot be recorded: ``status`` is the HTTP answer, the text says why."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def method_for(shop: TikTokShop) -> str:
    """The market's call: Mark Package As Shipped in US/UK/EU/JP, Ship Package in SEA and LATAM."""
    region = (shop.region or "").upper()
    return "mark_shipped" if region in fulfillment.MARK_SHIPPED_REGIONS else "ship_package"


def ship_blocker(order: Order) -> str | None:
    """Why this order cannot be shipped from here (None when it can)."""
    if order.is_fbt:
        return "TikTok ships Fulfilled-by-TikTok orders: there is nothing for you to ship."
    if order.status == "ON_HOLD":
        return "On hold: the buyer may still cancel for about an hour after paying; TikTok will not ship it."
    if order.is_buyer_request_cancel:
        return "The buyer asked to cancel: answer the cancellation request first."
    if order.status not in SHIPPABLE:
        return f"{status_label(order.status)}: nothing left to ship."
    return None


def claimed_lines(seller_id: int, order_pk: int) -> set[str]:
    return set(
        db.session.scalars(
            select(ShipmentLine.line_id).where(
                ShipmentLine.seller_id == seller_id, ShipmentLine.order_pk == order_pk
            )
        )
    )


def shippable_lines(order: Order, lines: list[OrderLine], claimed: set[str]) -> list[OrderLine]:
    """The items still to ship: no tracking number on TikTok and not in a shipment of ours."""
    return [line for line in lines if not line.tracking_number and line.line_id not in claimed]


def clean_tracking(value: str | None) -> str:
    tracking = " ".join((value or "").split())
    if not TRACKING.fullmatch(tracking):
        raise ShipError(
            "Enter the carrier's tracking number: 4 to 64 letters, digits, spaces or dashes."
            if tracking
            else "Enter the tracking number."
        )
    return tracking


def _carrier(carriers: Carriers, provider_id: str | None) -> tuple[str, str]:
    if carriers.loading or carriers.error:
        raise ShipError(carriers.error or "TikTok's carriers are still loading: try again in a moment.", 409)
    for cid, name in carriers.items:
        if cid == provider_id:
            return cid, name
    raise ShipError("Choose a carrier from TikTok's list for this order.")


def existing(seller_id: int, key: str) -> Shipment | None:
    return db.session.scalars(for_seller(Shipment, seller_id).where(Shipment.key == key)).first()


def _replayed(order: Order, key: str, kind: str) -> Shipment | None:
    """The shipment this very form already recorded (sent again: nothing more to do), if any."""
    first = existing(order.seller_id, key)
    if first is not None and (first.order_pk != order.id or first.kind != kind):
        raise ShipError("The form is out of date: reload the page.", 409)
    return first


def _record(shipment: Shipment, line_ids: list[str]) -> Shipment:
    """Insert the shipment and its claimed lines in a savepoint: a unique-key conflict means another
    form got there first (``ShipError`` 409), and nothing of this one is kept."""
    try:
        with db.session.begin_nested():
            db.session.add(shipment)
            db.session.flush()
            for line_id in line_ids:
                db.session.add(
                    ShipmentLine(
                        seller_id=shipment.seller_id,
                        shipment_pk=shipment.id,
                        order_pk=shipment.order_pk,
                        line_id=line_id,
                    )
                )
            db.session.flush()
    except IntegrityError:
        first = existing(shipment.seller_id, shipment.key)
        if first is not None:
            return first
        if shipment.kind == CORRECT:
            raise ShipError("The tracking number of this order was already corrected once.", 409) from None
        raise ShipError("These items are already being shipped (from another tab or form).", 409) from None
    enqueue_after_commit(
        SEND_JOB,
        shipment.seller_id,
        shipment.id,
        job_id=f"shipment-{shipment.seller_id}-{shipment.id}",
        description=f"ship order {shipment.order.order_id if shipment.order else shipment.order_pk}",
        retry_intervals=[10, 60, 300],
    )
    return shipment


def request_shipment(
    order: Order,
    lines: list[OrderLine],
    *,
    key: str,
    actor: str,
    provider_id: str | None,
    tracking: str | None,
    line_ids: list[str],
    carriers: Carriers,
) -> Shipment:
    """Record one shipment of ``line_ids`` (all that is left when empty is not allowed: the form says
    which). Raises ``ShipError``; a form sent again returns its first shipment."""
    first = _replayed(order, key, SHIP)
    if first is not None:
        return first
    blocker = ship_blocker(order)
    if blocker:
        raise ShipError(blocker, 409)
    free = {
        line.line_id: line for line in shippable_lines(order, lines, claimed_lines(order.seller_id, order.id))
    }
    chosen = list(dict.fromkeys(line_ids))
    if not chosen:
        raise ShipError("Choose the items in this parcel.")
    if not set(chosen) <= set(free):
        raise ShipError("Some chosen items are already shipped or being shipped: reload the page.", 409)
    tracking_number = clean_tracking(tracking)
    cid, name = _carrier(carriers, provider_id)
    method = method_for(order.shop)
    package_id = None
    if method == "ship_package":
        packages = {free[i].package_id for i in chosen}
        if None in packages or "" in packages:
            raise ShipError(
                "TikTok has not created this order's package yet: sync the order, then try again.", 409
            )
        if len(packages) > 1:
            raise ShipError(
                "In this market TikTok ships one package at a time: choose the items of one package."
            )
        package_id = packages.pop()
        whole = [i for i, line in free.items() if line.package_id == package_id]
        if set(whole) != set(chosen):
            raise ShipError("In this market TikTok ships whole packages: choose every item of the package.")
    shipment = Shipment(
        seller_id=order.seller_id,
        key=key,
        order_pk=order.id,
        kind=SHIP,
        method=method,
        provider_id=cid,
        provider_name=name,
        tracking_number=tracking_number,
        line_ids=chosen,
        package_id=package_id,
        actor=actor,
    )
    shipment.order = order
    return _record(shipment, chosen)


def shipped_package(seller_id: int, order: Order, lines: list[OrderLine]) -> tuple[str, str] | None:
    """(package id, when shipped from here or '') of the order's one shipped package, if there is one."""
    done = db.session.scalars(
        for_seller(Shipment, seller_id)
        .where(Shipment.order_pk == order.id, Shipment.kind == SHIP, Shipment.state == SHIP_DONE)
        .order_by(Shipment.id.desc())
    ).first()
    if done is not None and done.package_id:
        return done.package_id, done.done_at.isoformat() if done.done_at else ""
    packages = {line.package_id for line in lines if line.package_id and line.tracking_number}
    return (packages.pop(), "") if len(packages) == 1 else None


def correction_blocker(seller_id: int, order: Order, lines: list[OrderLine]) -> str | None:
    """Why the tracking number cannot be corrected from here (None when it can)."""
    if order.is_fbt:
        return "TikTok ships Fulfilled-by-TikTok orders: their tracking is TikTok's."
    if not order.tracking_number and not any(line.tracking_number for line in lines):
        return "Nothing is shipped yet: there is no tracking number to correct."
    if order.status in ("DELIVERED", "COMPLETED", "CANCELLED"):
        return f"{status_label(order.status)}: the tracking number can no longer be corrected."
    corrected = db.session.scalars(
        for_seller(Shipment, seller_id).where(Shipment.correction_of == order.id)
    ).first()
    if corrected is not None:
        return "The tracking number was already corrected once; TikTok allows one correction."
    found = shipped_package(seller_id, order, lines)
    if found is None:
        return (
            "This order was shipped in several packages: correct their tracking in TikTok Shop Seller Center."
        )
    done = db.session.scalars(
        for_seller(Shipment, seller_id)
        .where(Shipment.order_pk == order.id, Shipment.kind == SHIP, Shipment.state == SHIP_DONE)
        .order_by(Shipment.id)
    ).first()
    region = (order.shop.region or "").upper()
    if (
        done is not None
        and done.done_at is not None
        and region in WINDOW_REGIONS
        and utcnow() - ensure_aware(done.done_at) > CORRECTION_WINDOW
    ):
        return "TikTok lets a tracking number be corrected only within 72 hours of shipping."
    return None


def request_correction(
    order: Order,
    lines: list[OrderLine],
    *,
    key: str,
    actor: str,
    provider_id: str | None,
    tracking: str | None,
    carriers: Carriers,
) -> Shipment:
    """Record the order's one tracking correction. Raises ``ShipError``."""
    first = _replayed(order, key, CORRECT)
    if first is not None:
        return first
    blocker = correction_blocker(order.seller_id, order, lines)
    if blocker:
        raise ShipError(blocker, 409)
    tracking_number = clean_tracking(tracking)
    if tracking_number == (order.tracking_number or ""):
        raise ShipError("That is the tracking number TikTok already has: enter the corrected one.")
    cid, name = _carrier(carriers, provider_id)
    found = shipped_package(order.seller_id, order, lines)
    package_id = found[0] if found else None
    shipment = Shipment(
        seller_id=order.seller_id,
        key=key,
        order_pk=order.id,
        kind=CORRECT,
        correction_of=order.id,
        method="update_tracking",
        provider_id=cid,
        provider_name=name,
        tracking_number=tracking_number,
        line_ids=[],
        package_id=package_id,
        actor=actor,
    )
    shipment.order = order
    return _record(shipment, [])
