"""Put returned items back into Etsy stock — at most once per (request, SKU), exactly once normally.

Etsy has no idempotent "add stock": restocking reads the listing's inventory and PUTs it back with the
SKU's quantity raised. So "exactly once" rests on the ``RestockRecord`` row, unique per (request, sku):

1. **Decide** (``plan``): refresh the listings if a SKU is unknown (an Etsy call, made before any
   lock is taken), then in ONE transaction, with the request row locked, check it is a
   RETURN_AND_REFUND in RETURN_OR_REFUND_REQUEST_COMPLETE and the seller's ``restock_on_complete`` is on,
   then insert one record per SKU (INSERT … ON CONFLICT DO NOTHING). Repeated syncs, webhooks and
   retried jobs all hit the unique key and add nothing: a request is decided once.
2. **Claim the write** (state ``claimed`` → ``sending``): read the inventory, then a compare-and-set
   ``UPDATE … WHERE state='claimed'`` stores ``stock_before``/``stock_target`` and COMMITS before the PUT.
   Two workers racing on the same record: only one wins the update; the other stops.
3. **Write**: PUT the inventory; on success the record becomes ``done`` (committed). If Etsy answered
   with a 4xx, nothing was written: the record goes back to ``claimed`` for a later retry.
4. **Recover**: a record found in ``sending`` (worker crashed or timed out mid-PUT, and older than
   ``STALE_SENDING``) is never written blindly again. We read the stock: if it equals ``stock_target``
   the write landed → ``done``. Otherwise we cannot tell "not applied" from "applied, then sold" → state
   ``check``: the seller sees a task with the numbers and checks the listing on Etsy. A crash before
   the claim (state ``claimed``) is simply retried — no write was attempted.

So a restock is never applied twice; the only cost of a crash inside the PUT is a visible task.
When every SKU of a request is ``done``, a ``RestockedRequest`` row says so.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import timedelta

from sqlalchemy import update

from connector_app.accounts.preferences import get_settings
from connector_app.connect.clients import etsy_client_for
from connector_app.dbutil import insert_ignore
from connector_app.extensions import db
from connector_app.listings.models import (
    CHECK,
    CLAIMED,
    DONE,
    NO_MATCH,
    OPEN_STATES,
    SENDING,
    RestockedRequest,
    RestockRecord,
)
from connector_app.listings.services import connected_etsy, listings_for_skus, refresh_listings, refresh_state
from connector_app.marketplaces.errors import MarketplaceError
from connector_app.returns.models import KIND_RETURN, ReturnRequest
from connector_app.tenancy import for_seller
from connector_app.timeutil import ensure_aware, utcnow

log = logging.getLogger(__name__)

RESTOCK_TYPE = "RETURN_AND_REFUND"
COMPLETE_STATUS = "RETURN_OR_REFUND_REQUEST_COMPLETE"
STALE_SENDING = timedelta(minutes=10)
CACHE_FRESH = timedelta(minutes=10)


def eligible(request: ReturnRequest) -> bool:
    return (
        request.kind == KIND_RETURN
        and request.request_type == RESTOCK_TYPE
        and request.status == COMPLETE_STATUS
    )


def returned_quantities(request: ReturnRequest) -> Counter:
    quantities: Counter = Counter()
    for line in request.line_items:
        if line.seller_sku:
            quantities[line.seller_sku] += line.quantity or 1
    return quantities


def _refresh_if_unknown(seller_id: int, skus: set[str]) -> None:
    """Refresh the seller's listings when a SKU is unknown and the last refresh is old (calls Etsy)."""
    found = listings_for_skus(seller_id, skus)
    connection = connected_etsy(seller_id)
    if connection is None or set(found) == skus:
        return
    state = refresh_state(connection)
    if state.refreshed_at is None or utcnow() - ensure_aware(state.refreshed_at) > CACHE_FRESH:
        try:
            refresh_listings(connection)
        except MarketplaceError as exc:
            log.warning("listing refresh for seller %s failed: %s", seller_id, exc)


def plan(seller_id: int, request_pk: int) -> bool:
    """Decide once whether this request restocks Etsy; write its records. Flushes; caller commits.

    A SKU no stored listing has may be a listing added on Etsy since the last refresh: the listings
    are refreshed (an Etsy call) BEFORE the request row is locked, never while the lock is held.
    """
    unlocked = db.session.scalars(
        for_seller(ReturnRequest, seller_id).where(ReturnRequest.id == request_pk)
    ).first()
    if unlocked is not None and eligible(unlocked) and returned_quantities(unlocked):
        _refresh_if_unknown(seller_id, set(returned_quantities(unlocked)))
    request = db.session.scalars(
        for_seller(ReturnRequest, seller_id)
        .where(ReturnRequest.id == request_pk)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    settings = get_settings(seller_id)
    if request is None or not eligible(request) or not settings.restock_on_complete:
        return False
    if request.update_time < (settings.restock_after or 0):
        return False  # completed before restocking was switched on: the seller's own history
    quantities = returned_quantities(request)
    if not quantities:
        return False
    listings = listings_for_skus(seller_id, set(quantities))
    connected = connected_etsy(seller_id) is not None
    rows = []
    for sku, quantity in sorted(quantities.items()):
        listing = listings.get(sku)
        row = {
            "seller_id": seller_id,
            "request_pk": request.id,
            "sku": sku,
            "quantity": quantity,
            "listing_id": listing.listing_id if listing else None,
            "state": CLAIMED if listing and connected else NO_MATCH,
            "message": None if listing and connected else _no_match_message(sku, quantity, connected),
            "attempts": 0,
            "claimed_at": utcnow(),
        }
        rows.append(row)
    insert_ignore(RestockRecord.__table__, rows, ["request_pk", "sku"])
    db.session.flush()
    return True


def _no_match_message(sku: str, quantity: int, connected: bool) -> str:
    if not connected:
        return f"No Etsy shop is connected: add {quantity} back to SKU {sku} on Etsy yourself."
    return f"No Etsy listing has SKU {sku}: add {quantity} back to the right listing on Etsy yourself."


def records_for(seller_id: int, request_pk: int) -> list[RestockRecord]:
    return list(
        db.session.scalars(
            for_seller(RestockRecord, seller_id)
            .where(RestockRecord.request_pk == request_pk)
            .order_by(RestockRecord.sku)
        )
    )


def process(record: RestockRecord) -> None:
    """Move one record forward (see the module docstring). Commits at each durable step."""
    connection = connected_etsy(record.seller_id)
    if connection is None:
        record.message = "Etsy is not connected; the restock waits until you reconnect it."
        db.session.commit()
        return
    if record.state == SENDING:
        if record.sending_at and utcnow() - ensure_aware(record.sending_at) < STALE_SENDING:
            return  # another worker is writing it right now
        _verify(record, connection)
        return
    client = etsy_client_for(connection)
    inventory = client.get_listing_inventory(record.listing_id)
    updated = inventory.with_quantity_added(record.sku, record.quantity)
    if updated is None:
        record.state = NO_MATCH
        record.message = (
            f"Listing {record.listing_id} no longer has SKU {record.sku}: add it back on Etsy yourself."
        )
        db.session.commit()
        return
    before = inventory.quantity_of(record.sku) or 0
    won = db.session.execute(
        update(RestockRecord)
        .where(RestockRecord.id == record.id, RestockRecord.state == CLAIMED)
        .values(
            state=SENDING,
            stock_before=before,
            stock_target=before + record.quantity,
            sending_at=utcnow(),
            attempts=RestockRecord.attempts + 1,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()  # the write is claimed durably BEFORE Etsy is called
    if not won:
        return  # another worker claimed this write
    db.session.refresh(record)
    try:
        client.update_listing_inventory(record.listing_id, updated)
    except MarketplaceError as exc:
        if exc.http_status and 400 <= exc.http_status < 500:
            record.state = CLAIMED  # Etsy answered and refused: nothing was written, safe to retry later
        record.message = exc.seller_message()
        db.session.commit()
        return
    record.state = DONE
    record.done_at = utcnow()
    record.message = None
    db.session.commit()


def _verify(record: RestockRecord, connection) -> None:
    inventory = etsy_client_for(connection).get_listing_inventory(record.listing_id)
    seen = inventory.quantity_of(record.sku)
    record.stock_seen = seen
    if seen is not None and seen == record.stock_target:
        record.state, record.done_at, record.message = DONE, utcnow(), None
    else:
        record.state = CHECK
        record.message = (
            f"We were interrupted while adding {record.quantity} to SKU {record.sku} on Etsy "
            f"(stock was {record.stock_before}, we set {record.stock_target}, it is now {seen}). "
            "Check this listing's stock on Etsy and correct it if needed; we will not change it again."
        )
    db.session.commit()


def restock_request(seller_id: int, request_pk: int) -> None:
    """Plan, then carry out, the restock of one request; mark the request restocked when all is done."""
    plan(seller_id, request_pk)
    db.session.commit()
    for record in records_for(seller_id, request_pk):
        if record.state in OPEN_STATES:
            try:
                process(record)
            except MarketplaceError as exc:
                db.session.rollback()
                record.message = exc.seller_message()
                db.session.commit()
    _finish_if_done(seller_id, request_pk)
    db.session.commit()


MANUAL_STATES = (CHECK, NO_MATCH)
HANDLED_BY_SELLER = "You marked this as handled on Etsy."


def mark_handled(seller_id: int, request_pk: int, sku: str) -> bool:
    """The seller has dealt with a "your turn" task on Etsy themselves; False if it is not one now.

    Only tasks the app handed over (``check``, ``no_match``) can be closed this way: a restock the
    app is still carrying out is never marked done behind its back. Flushes; the caller commits.
    """
    record = db.session.scalars(
        for_seller(RestockRecord, seller_id)
        .where(RestockRecord.request_pk == request_pk, RestockRecord.sku == sku)
        .with_for_update()
    ).first()
    if record is None or record.state not in MANUAL_STATES:
        return False
    record.state, record.done_at, record.message = DONE, utcnow(), HANDLED_BY_SELLER
    _finish_if_done(seller_id, request_pk)
    return True


def _finish_if_done(seller_id: int, request_pk: int) -> None:
    """Mark the request restocked once every one of its records is done. Flushes."""
    records = records_for(seller_id, request_pk)
    done = bool(records) and all(r.state == DONE for r in records)
    if done and db.session.get(RestockedRequest, request_pk) is None:
        db.session.add(RestockedRequest(request_pk=request_pk, seller_id=seller_id))
    db.session.flush()
