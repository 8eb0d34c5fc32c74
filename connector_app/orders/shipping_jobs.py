"""Ship from the app, job side: send a recorded shipment to TikTok once, read back what is unsure.

A shipment is ``queued`` until the job marks it ``sending`` and commits; only then is TikTok called,
with a client that makes ONE attempt (the ship calls carry no idempotency key, so a client retry after
a lost answer would be a second send). Whatever happens next:

- TikTok's answer: ``done`` (package id stored), or ``refused`` with the reason (the items are free
  again; nothing was shipped).
- "already shipped" (21008099, 11006021, 21011040, 21011020): the order is read back; shipped → ``done``.
- Nothing reached TikTok (rate limited, connection never made): back to ``queued``; RQ retries the job.
- A timeout or 5xx after sending, or a worker killed mid-call (the sweep finds the ``sending`` row):
  the order or package is read back; confirmed → ``done``; otherwise a ``check`` task for the seller.
  A ``sending`` shipment is never sent again.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select

from connector_app.connect.clients import tiktok_client_for
from connector_app.extensions import db
from connector_app.marketplaces.errors import (
    MalformedResponse,
    MarketplaceError,
    ServerError,
    TransportError,
)
from connector_app.marketplaces.http import not_yet_processed
from connector_app.marketplaces.policy import RetryPolicy
from connector_app.marketplaces.tiktok import fulfillment
from connector_app.marketplaces.tiktok import orders as api
from connector_app.orders import carriers, shipping
from connector_app.orders.models import (
    CORRECT,
    SHIP_CHECK,
    SHIP_DONE,
    SHIP_OPEN,
    SHIP_QUEUED,
    SHIP_REFUSED,
    SHIP_SENDING,
    Shipment,
    ShipmentLine,
)
from connector_app.tenancy import for_seller
from connector_app.timeutil import ensure_aware, utcnow
from connector_app.transactions import enqueue_after_commit, job_step

log = logging.getLogger(__name__)

# One attempt: a ship call is not idempotent, so only the job decides what to do after a failure.
SEND_ONCE = RetryPolicy(attempts=1, backoff_max=0.0, max_retry_after=0.0, timeout=(5.0, 30.0))
STALE = timedelta(minutes=2)  # an open shipment untouched this long is picked up by the sweep
IN_FLIGHT = timedelta(seconds=90)  # longer than one ship call can take (SEND_ONCE's timeouts)
READ_BACK_ATTEMPTS = 4  # runs of the job that try to read back before it becomes a task

REASONS = {
    "fbt": "TikTok ships this order (Fulfilled by TikTok).",
    "on_hold": "The order is on hold: TikTok does not allow shipping it yet.",
    "cancelled": "The order was cancelled.",
    "after_sale_pending": "The buyer has a pending cancellation or after-sale request: answer it first.",
    "tracking_used": "TikTok says this tracking number was already used for another order.",
    "tracking_mismatch": "TikTok says the tracking number does not match the chosen carrier.",
    "several_packages": "The order has several packages: choose the items of one parcel.",
    "update_window_over": "TikTok's window for correcting the tracking number is over.",
    "update_not_allowed": "TikTok allows the tracking number to be corrected only once.",
}


class StillSending(RuntimeError):
    """The shipment was handed to TikTok moments ago by another run: the job is retried later."""


class NotConfirmed(RuntimeError):
    """The read-back could not run (TikTok unreachable): the job is retried, then becomes a task."""


def _load(seller_id: int, shipment_pk: int) -> Shipment | None:
    return db.session.scalars(
        for_seller(Shipment, seller_id)
        .where(Shipment.id == shipment_pk)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()


def _finish(seller_id: int, shipment_pk: int, state: str, message: str | None = None, **values) -> None:
    with job_step():
        shipment = _load(seller_id, shipment_pk)
        if shipment is None or shipment.state not in SHIP_OPEN:
            return
        shipment.state = state
        shipment.message = message
        for key, value in values.items():
            setattr(shipment, key, value)
        if state in (SHIP_DONE, SHIP_REFUSED):
            shipment.done_at = utcnow()
        if state == SHIP_REFUSED:  # nothing was shipped: the items (or the one correction) are free again
            shipment.correction_of = None
            for claim in db.session.scalars(
                select(ShipmentLine).where(ShipmentLine.shipment_pk == shipment.id)
            ):
                db.session.delete(claim)
    log.info(
        "shipment %s of seller %s: %s%s", shipment_pk, seller_id, state, f" ({message})" if message else ""
    )


def _send(client, shipment: Shipment, order_lines: int) -> str | None:
    order = shipment.order
    if shipment.kind == CORRECT:
        fulfillment.update_tracking(
            client, shipment.package_id, shipment.tracking_number, shipment.provider_id
        )
        return shipment.package_id
    if shipment.method == "ship_package":
        fulfillment.ship_package(client, shipment.package_id, shipment.tracking_number, shipment.provider_id)
        return shipment.package_id
    split = shipment.line_ids if len(shipment.line_ids) < order_lines else None  # whole order: no ids
    return fulfillment.mark_package_shipped(
        client, order.order_id, shipment.tracking_number, shipment.provider_id, split
    )


def _read_back(shop, shipment: Shipment) -> tuple[bool, str | None, str | None]:
    """(confirmed, package id, note): what TikTok shows now for this shipment."""
    try:
        client = tiktok_client_for(shop)
        if shipment.package_id:
            package = fulfillment.get_package(client, shipment.package_id)
            shipped = package.status in ("PROCESSING", "FULFILLING", "COMPLETED") and bool(
                package.tracking_number
            )
            if shipment.kind == CORRECT:
                return package.tracking_number == shipment.tracking_number, package.id, None
            note = _note(shipment, package.tracking_number) if shipped else None
            return shipped, package.id, note
        found = api.get_orders(client, [shipment.order.order_id])
    except MarketplaceError as exc:
        raise NotConfirmed(str(exc)) from exc
    if not found:
        return False, None, None
    lines = {line.id: line for line in found[0].lines}
    mine = [lines.get(i) for i in shipment.line_ids]
    if not mine or any(line is None or not line.tracking_number for line in mine):
        return False, None, None
    packages = {line.package_id for line in mine if line.package_id}
    return True, (packages.pop() if len(packages) == 1 else None), _note(shipment, mine[0].tracking_number)


def _note(shipment: Shipment, tracking: str) -> str | None:
    if tracking and tracking != shipment.tracking_number:
        return f"TikTok already had it shipped with tracking number {tracking}."
    return None


def _refresh_order(shipment_pk: int, seller_id: int) -> None:
    """Store the order as TikTok shows it now (status, tracking): best effort, the sync catches up."""
    from connector_app.orders.jobs import store_orders

    shipment = db.session.get(Shipment, shipment_pk)
    if shipment is None or shipment.seller_id != seller_id:
        return
    shop = shipment.order.shop
    try:
        store_orders(shop, api.get_orders(tiktok_client_for(shop), [shipment.order.order_id]))
    except MarketplaceError:
        log.info("order %s not re-read after shipping; the next sync will", shipment.order.order_id)


def send_shipment(seller_id: int, shipment_pk: int) -> str:
    """RQ job: send one recorded shipment (or correction) to TikTok, exactly once."""
    with job_step():
        shipment = _load(seller_id, shipment_pk)
        if shipment is None or shipment.state not in SHIP_OPEN:
            return "nothing to do"
        verify = shipment.state == SHIP_SENDING
        if verify and shipment.sending_at and utcnow() - ensure_aware(shipment.sending_at) < IN_FLIGHT:
            # Another run may still be waiting for TikTok's answer: read back once it cannot be.
            raise StillSending(f"shipment {shipment_pk} was sent moments ago; reading it back later")
        shipment.attempts += 1
        attempts = shipment.attempts
        if not verify:
            shipment.state = SHIP_SENDING
            shipment.sending_at = utcnow()
        order_lines = len(shipment.order.lines)
    shipment = db.session.get(Shipment, shipment_pk)
    shop = shipment.order.shop
    note = None
    if not verify:
        try:
            package_id = _send(tiktok_client_for(shop, SEND_ONCE), shipment, order_lines)
        except fulfillment.ShipRefused as exc:
            _finish(seller_id, shipment_pk, SHIP_REFUSED, REASONS.get(exc.reason, exc.seller_message()))
            return "refused"
        except MarketplaceError as exc:
            if fulfillment.already_shipped(exc):
                note = "TikTok says it is already shipped."
            elif not_yet_processed(exc):
                with job_step():  # it never reached TikTok: safe to send on the next run
                    row = _load(seller_id, shipment_pk)
                    if row is not None and row.state == SHIP_SENDING:
                        row.state = SHIP_QUEUED
                        row.message = exc.seller_message()
                raise
            elif not isinstance(exc, TransportError | ServerError | MalformedResponse):
                _finish(seller_id, shipment_pk, SHIP_REFUSED, exc.seller_message())  # TikTok said no
                return "refused"
            else:
                log.warning("shipment %s: outcome unknown (%s); reading it back", shipment_pk, exc)
        else:
            _finish(seller_id, shipment_pk, SHIP_DONE, None, package_id=package_id or shipment.package_id)
            _refresh_order(shipment_pk, seller_id)
            return "done"
    # Unsure (or already shipped): read back, never send again.
    shipment = db.session.get(Shipment, shipment_pk)
    try:
        confirmed, package_id, seen = _read_back(shop, shipment)
    except NotConfirmed as exc:
        if attempts < READ_BACK_ATTEMPTS:
            raise  # RQ retries; the row stays "sending", so the retry only reads back
        confirmed, package_id, seen = False, None, None
        log.warning("shipment %s: read-back failed (%s)", shipment_pk, exc)
    if confirmed:
        _finish(seller_id, shipment_pk, SHIP_DONE, seen or note, package_id=package_id or shipment.package_id)
        _refresh_order(shipment_pk, seller_id)
        return "done"
    _finish(
        seller_id,
        shipment_pk,
        SHIP_CHECK,
        "TikTok did not confirm this shipment. Check the order in TikTok Shop Seller Center, then tell us "
        "what you found: it will not be sent again by itself.",
    )
    return "check"


def refresh_carriers(seller_id: int, order_pk: int) -> None:
    """RQ job: TikTok's carriers for an order's delivery option, into the cache."""
    carriers.refresh_carriers(seller_id, order_pk)


def sweep_shipments() -> int:
    """Periodic: open shipments nobody is working on (a killed worker, a lost job) get a job again.
    A ``sending`` one is only read back by it."""
    cutoff = utcnow() - STALE
    found = db.session.execute(
        select(Shipment.seller_id, Shipment.id).where(
            Shipment.state.in_(SHIP_OPEN), Shipment.updated_at < cutoff
        )
    ).all()
    with job_step():
        for seller_id, shipment_pk in found:
            enqueue_after_commit(
                shipping.SEND_JOB, seller_id, shipment_pk, description=f"shipment {shipment_pk} (sweep)"
            )
    return len(found)
