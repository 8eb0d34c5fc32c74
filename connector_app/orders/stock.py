"""Etsy stock follows TikTok sales — exactly once per (order, SKU, direction).

The model is the restock writer (``listings.restock``), batched per listing:

1. **Decide** (``plan``, in the transaction that stored the order, the order row locked): a paid,
   seller-fulfilled order paid after the seller switched the setting on gets one ``sale`` move per SKU
   (units = its line items: one per unit; bundle parts by count). A cancelled order that had a sale and
   never reached the carrier gets a ``restore`` move — unless its sale was never written (still
   ``claimed``): that sale becomes ``skipped`` by a compare-and-set, and nothing is ever written.
   ``INSERT … ON CONFLICT DO NOTHING`` on the unique key: duplicate and reordered webhooks, a webhook
   racing the scheduled sync, retried jobs — all add nothing. FBT orders never plan anything.
2. **Claim** (``process_listing``): read the listing's inventory and state, compute the new quantities of
   every open move of that listing at once (one write per listing), and move them ``claimed → sending``
   with a compare-and-set that COMMITS before Etsy is called. A racing worker loses the update and stops.
3. **Write**: PUT the inventory, then set the listing's state if needed. Etsy refuses an inventory of 0:
   when the sale takes the listing's last units the quantities are left and the listing is deactivated
   instead; the units Etsy still shows are remembered as a ``ListingHold`` and it is reactivated when a
   cancellation puts stock back. A 4xx means nothing was written: back to ``claimed``.
4. **Recover**: a write whose outcome was not seen is never sent again blindly. After a 500/503 (Etsy
   answered: the request is over) it is verified at once; after a timeout or a SIGKILLed worker, once
   it is older than ``STALE_SENDING`` (it may still land meanwhile). Verifying reads Etsy: every SKU at
   its target → ``done`` (the idempotent state change is repeated); every SKU as Etsy showed it before
   the claim AND the listing's last-modified time unchanged → it did not land: ``claimed`` again;
   anything else → ``check``, a task the seller sees.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import replace
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update

from connector_app.accounts.preferences import stock_follows_sales
from connector_app.connect.clients import etsy_client_for
from connector_app.dbutil import insert_ignore
from connector_app.extensions import db
from connector_app.listings.services import connected_etsy, listings_for_skus
from connector_app.marketplaces.errors import MarketplaceError
from connector_app.marketplaces.etsy.listing_state import ACTIVE, INACTIVE, get_listing, set_listing_state
from connector_app.marketplaces.policy import BACKGROUND
from connector_app.orders.models import (
    CHECK,
    CLAIMED,
    DONE,
    NO_MATCH,
    RESTORE,
    SALE,
    SENDING,
    SKIPPED,
    TASK_STATES,
    ListingHold,
    Order,
    StockMove,
)
from connector_app.orders.tabs import NOT_SHIPPED, PAID
from connector_app.tenancy import for_seller
from connector_app.timeutil import ensure_aware, utcnow

log = logging.getLogger(__name__)

STALE_SENDING = timedelta(minutes=10)  # ORDER_STOCK_STALE_SECONDS overrides it
ANSWERED = (500, 503)  # Etsy answered with an error: the request is over, read what it did now
# The quantity PUT is sent once: a timeout is not retried (it may have landed); the sweep verifies it.
WRITE_ONCE = replace(BACKGROUND, attempts=1)


def units(order: Order) -> Counter:
    """Units per seller SKU: one per line item (TikTok has no quantity), bundle parts by their count."""
    counts: Counter = Counter()
    for line in order.lines:
        if line.bundle:
            for _sku_id, seller_sku, count in line.bundle:
                counts[seller_sku or ""] += int(count)
        else:
            counts[line.seller_sku or ""] += 1
    return counts


def _never_shipped(order: Order) -> bool:
    """No shipped status was ever seen, and TikTok shows no tracking number or package on it."""
    if order.tracking_number or any(line.tracking_number or line.package_id for line in order.lines):
        return False
    return all(status in NOT_SHIPPED or status == "CANCELLED" for status, _ in order.history or ())


def plan(seller_id: int, order_pks: list[int]) -> set[str]:
    """Decide the moves of these orders (see the module docstring); returns the listing ids to write.
    Flushes; the caller commits, then enqueues the writes."""
    after = stock_follows_sales(seller_id)
    if after is None or not order_pks:
        return set()
    orders = db.session.scalars(
        for_seller(Order, seller_id).where(Order.id.in_(order_pks), Order.is_fbt.is_(False)).with_for_update()
    ).all()
    touched: set[str] = set()
    for order in orders:
        paid = order.paid_time or order.create_time  # a paid status without paid_time: when it was placed
        if paid < after:
            continue  # paid before Etsy's stock started following sales
        if order.status in PAID:
            touched |= _plan_sale(seller_id, order)
        elif order.status == "CANCELLED" and _never_shipped(order):
            touched |= _plan_restore(seller_id, order)
    db.session.flush()
    return touched


def _plan_sale(seller_id: int, order: Order) -> set[str]:
    wanted = units(order)
    listings = listings_for_skus(seller_id, {s for s in wanted if s})
    connected = connected_etsy(seller_id) is not None
    rows = []
    for sku, quantity in sorted(wanted.items()):
        listing = listings.get(sku) if sku else None
        matched = listing is not None and connected
        rows.append(
            {
                "seller_id": seller_id,
                "order_pk": order.id,
                "sku": sku,
                "direction": SALE,
                "quantity": quantity,
                "listing_id": listing.listing_id if listing else None,
                "state": CLAIMED if matched else NO_MATCH,
                "message": None if matched else _no_match(sku, quantity, connected),
                "attempts": 0,
                "deactivated": False,
                "claimed_at": utcnow(),
            }
        )
    insert_ignore(StockMove.__table__, rows, ["order_pk", "sku", "direction"])
    _mark_attention(order)
    return {r["listing_id"] for r in rows if r["state"] == CLAIMED}


def _plan_restore(seller_id: int, order: Order) -> set[str]:
    sales = db.session.scalars(
        for_seller(StockMove, seller_id).where(StockMove.order_pk == order.id, StockMove.direction == SALE)
    ).all()
    rows = []
    for sale in sales:
        if sale.state == NO_MATCH:
            continue
        skipped = db.session.execute(
            update(StockMove)
            .where(StockMove.id == sale.id, StockMove.state == CLAIMED)
            .values(state=SKIPPED, message="Cancelled before Etsy's stock was changed.", done_at=utcnow())
            .execution_options(synchronize_session=False)
        ).rowcount
        if skipped:
            continue  # nothing was written: nothing to put back
        rows.append(
            {
                "seller_id": seller_id,
                "order_pk": order.id,
                "sku": sale.sku,
                "direction": RESTORE,
                "quantity": sale.quantity,
                "listing_id": sale.listing_id,
                "state": CLAIMED,
                "attempts": 0,
                "deactivated": False,
                "claimed_at": utcnow(),
            }
        )
    if rows:
        insert_ignore(StockMove.__table__, rows, ["order_pk", "sku", "direction"])
    return {r["listing_id"] for r in rows}


def _no_match(sku: str, quantity: int, connected: bool) -> str:
    if not connected:
        return f"No Etsy shop is connected: take {quantity} off SKU {sku or '(none)'} on Etsy yourself."
    if not sku:
        return f"A line has no seller SKU on TikTok: take {quantity} off the right Etsy listing yourself."
    return f"No Etsy listing has SKU {sku}: take {quantity} off the right listing on Etsy yourself."


def _mark_attention(order: Order) -> None:
    """Needs attention: a line without an Etsy match, or a stock update the seller must check."""
    db.session.flush()
    order.needs_attention = (
        db.session.scalar(
            select(StockMove.id)
            .where(StockMove.order_pk == order.id, StockMove.state.in_(TASK_STATES))
            .limit(1)
        )
        is not None
    )


def _open_moves(seller_id: int, listing_id: str) -> list[StockMove]:
    return list(
        db.session.scalars(
            for_seller(StockMove, seller_id)
            .where(StockMove.listing_id == listing_id, StockMove.state.in_((CLAIMED, SENDING)))
            .order_by(StockMove.id)
            .execution_options(populate_existing=True)
        )
    )


def _hold(seller_id: int, listing_id: str) -> ListingHold | None:
    return db.session.scalars(
        for_seller(ListingHold, seller_id).where(ListingHold.listing_id == listing_id)
    ).first()


def process_listing(seller_id: int, listing_id: str) -> None:
    """Carry every open move of one listing forward, one Etsy write per round. Commits at each step."""
    for _round in range(20):
        moves = _open_moves(seller_id, listing_id)
        if not moves:
            return
        connection = connected_etsy(seller_id)
        if connection is None:
            return  # waits until Etsy is reconnected (the sweep retries)
        sending = [m for m in moves if m.state == SENDING]
        if sending:
            if any(m.sending_at and utcnow() - ensure_aware(m.sending_at) < _stale() for m in sending):
                return  # another worker is writing this listing right now
            _verify(seller_id, listing_id, sending, connection)
            continue
        if not _write(seller_id, listing_id, moves, connection):
            return


def _stale() -> timedelta:
    seconds = current_app.config.get("ORDER_STOCK_STALE_SECONDS")
    return STALE_SENDING if seconds is None else timedelta(seconds=float(seconds))


def _write(seller_id: int, listing_id: str, moves: list[StockMove], connection) -> bool:
    client = etsy_client_for(connection)
    inventory = client.get_listing_inventory(listing_id)
    state = get_listing(client, listing_id)
    listing = state.listing
    hold = _hold(seller_id, listing_id)
    held = dict(hold.held) if hold else {}
    logical = {
        sku: (inventory.quantity_of(sku) or 0) - int(held.get(sku, 0)) for sku in inventory.skus if sku
    }
    before = dict(logical)
    usable, notes = [], {}
    for move in moves:
        if move.sku not in logical:
            move.state, move.message = NO_MATCH, f"Listing {listing_id} no longer has SKU {move.sku}."
            continue
        if move.direction == SALE:
            if logical[move.sku] < move.quantity:
                notes[move.id] = (
                    f"Etsy had only {logical[move.sku]} of SKU {move.sku} for {move.quantity} sold."
                )
            logical[move.sku] = max(0, logical[move.sku] - move.quantity)
        else:
            logical[move.sku] += move.quantity
        usable.append(move)
    if not usable:
        db.session.commit()
        return True
    if sum(logical.values()) > 0:
        updated, new_held = inventory, {}
        for sku, quantity in logical.items():
            updated = (
                updated.with_quantity_added(sku, quantity - (inventory.quantity_of(sku) or 0)) or updated
            )
        if all(logical[sku] == (inventory.quantity_of(sku) or 0) for sku in logical):
            updated = None  # Etsy already shows these quantities (units we held): only reactivate
        target_state = ACTIVE if held and listing.state == INACTIVE else None
        targets = {sku: logical[sku] for sku in logical}
    else:
        updated, new_held, target_state = None, {s: inventory.quantity_of(s) or 0 for s in logical}, INACTIVE
        targets = {sku: inventory.quantity_of(sku) or 0 for sku in logical}
    shown = {sku: inventory.quantity_of(sku) or 0 for sku in logical}
    ids = [m.id for m in usable]
    won = db.session.execute(
        update(StockMove)
        .where(StockMove.id.in_(ids), StockMove.state == CLAIMED)
        .values(
            state=SENDING, sending_at=utcnow(), attempts=StockMove.attempts + 1, listing_state=target_state
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if won != len(ids):
        db.session.rollback()
        return False  # another worker claimed some of these moves
    for move in usable:
        move.stock_before, move.stock_target = before[move.sku], targets[move.sku]
        move.deactivated = target_state == INACTIVE and move.direction == SALE
        move.message = notes.get(move.id)
        move.etsy_before, move.listing_updated, move.wrote = (
            shown[move.sku],
            state.updated,
            updated is not None,
        )
    _set_hold(seller_id, listing_id, hold, new_held, previous=held)
    db.session.commit()  # claimed durably BEFORE Etsy is called
    try:
        if updated is not None:
            etsy_client_for(connection, WRITE_ONCE).update_listing_inventory(listing_id, updated)
    except MarketplaceError as exc:
        if exc.http_status and 400 <= exc.http_status < 500:
            for move in usable:
                move.state, move.message = CLAIMED, exc.seller_message()
            _set_hold(seller_id, listing_id, _hold(seller_id, listing_id), held)
            db.session.commit()
            return False
        log.warning("Etsy stock write of listing %s unconfirmed (%s)", listing_id, exc)
        if exc.http_status in ANSWERED:  # Etsy finished with the request: what it did can be read now
            db.session.rollback()
            _verify(seller_id, listing_id, _open_moves(seller_id, listing_id), connection)
            return True
        return False  # a timeout: it may still land; never sent again, the sweep verifies it when stale
    if target_state is not None:
        set_listing_state(client, connection.etsy_shop_id, listing_id, target_state)
    for move in usable:
        move.state, move.done_at = DONE, utcnow()
    db.session.commit()
    return True


def _set_hold(
    seller_id: int, listing_id: str, hold: ListingHold | None, held: dict, previous: dict | None = None
) -> None:
    if hold is None and (held or previous):
        db.session.add(
            ListingHold(seller_id=seller_id, listing_id=listing_id, held=held, previous=previous or {})
        )
    elif hold is not None:
        hold.held, hold.previous, hold.updated_at = dict(held), dict(previous or {}), utcnow()


def _verify(seller_id: int, listing_id: str, sending: list[StockMove], connection) -> None:
    """A write whose outcome we did not see: read Etsy, and never send the quantities again blindly.

    Every SKU at its target → the write landed: done (the idempotent state change is repeated). Every
    SKU as Etsy showed it before the claim AND the listing's last-modified time unchanged → it did not
    land: back to ``claimed`` (written again from a fresh read). Anything else → ``check``: a task.
    """
    client = etsy_client_for(connection)
    inventory = client.get_listing_inventory(listing_id)
    state = get_listing(client, listing_id)
    for move in sending:
        move.stock_seen = inventory.quantity_of(move.sku)
    landed = all(m.stock_seen == m.stock_target for m in sending)
    untouched = (
        any(m.wrote for m in sending)
        and state.updated is not None
        and all(m.listing_updated == state.updated and m.stock_seen == m.etsy_before for m in sending)
    )
    if landed:
        targets = {m.listing_state for m in sending if m.listing_state}
        if targets:
            set_listing_state(client, connection.etsy_shop_id, listing_id, targets.pop())  # idempotent
        for move in sending:
            move.state, move.done_at = DONE, utcnow()
    elif untouched:
        hold = _hold(seller_id, listing_id)
        if hold is not None:
            _set_hold(seller_id, listing_id, hold, dict(hold.previous or {}))
        for move in sending:
            move.state, move.message = CLAIMED, "Etsy did not apply the change; it is sent again."
    else:
        for move in sending:
            if move.stock_seen == move.stock_target:
                move.state, move.done_at = DONE, utcnow()
                continue
            move.state = CHECK
            verb = "taking" if move.direction == SALE else "putting back"
            move.message = (
                f"We were interrupted while {verb} {move.quantity} of SKU {move.sku} on Etsy (it was "
                f"{move.stock_before}, we set {move.stock_target}, it is now {move.stock_seen}). Check this "
                "listing's stock on Etsy and correct it if needed; we will not change it again."
            )
    for order in {m.order for m in sending}:
        _mark_attention(order)
    db.session.commit()


def mark_handled(seller_id: int, move_id: int) -> bool:
    """The seller dealt with a task on Etsy; False unless it is one now. Flushes."""
    move = db.session.scalars(
        for_seller(StockMove, seller_id).where(StockMove.id == move_id).with_for_update()
    ).first()
    if move is None or move.state not in TASK_STATES:
        return False
    move.state, move.done_at, move.message = DONE, utcnow(), "You marked this as handled on Etsy."
    _mark_attention(move.order)
    return True


def listings_with_open_moves(limit: int = 500) -> list[tuple[int, str]]:
    """(seller_id, listing_id) with moves to carry forward: claimed, or sending for too long."""
    stale = utcnow() - STALE_SENDING
    rows = db.session.execute(
        select(StockMove.seller_id, StockMove.listing_id)
        .where(
            StockMove.listing_id.is_not(None),
            (StockMove.state == CLAIMED) | ((StockMove.state == SENDING) & (StockMove.sending_at < stale)),
        )
        .distinct()
        .limit(limit)
    ).all()
    return [(r[0], r[1]) for r in rows]
