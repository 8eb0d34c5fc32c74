"""What the seller must know or do on Etsy for one request (Etsy has no refund endpoint)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from connector_app.accounts.preferences import get_settings
from connector_app.extensions import db
from connector_app.listings.models import (
    CHECK,
    DONE,
    NO_MATCH,
    EtsyListing,
    ListingRefresh,
    RestockedRequest,
    RestockRecord,
)
from connector_app.listings.restock import COMPLETE_STATUS, RESTOCK_TYPE, records_for, returned_quantities
from connector_app.listings.services import listings_for_skus, sku_match
from connector_app.panels import Panel
from connector_app.returns.models import KIND_CANCELLATION, ReturnRequest
from connector_app.returns.tabs import tab_for_status
from connector_app.tenancy import get_for_seller


@dataclass
class EtsyTasks:
    refund_note: str
    restock_note: str | None = None
    restock_on: bool = False
    records: list[RestockRecord] = field(default_factory=list)
    listings: dict[str, EtsyListing] = field(default_factory=dict)
    restocked_at: datetime | None = None  # every returned SKU is back in Etsy stock since then

    @property
    def needs_attention(self) -> list[RestockRecord]:
        return [r for r in self.records if r.state in (CHECK, NO_MATCH)]

    @property
    def done(self) -> list[RestockRecord]:
        return [r for r in self.records if r.state == DONE]


def etsy_tasks_for(request: ReturnRequest) -> EtsyTasks:
    if request.kind == KIND_CANCELLATION:
        return EtsyTasks("Nothing to do on Etsy: TikTok refunds the buyer if the cancellation goes through.")
    tasks = EtsyTasks(
        "Refund this buyer on Etsy? No — TikTok refunds the buyer; there is nothing to refund on Etsy."
    )
    quantities = returned_quantities(request)
    tasks.listings = listings_for_skus(request.seller_id, set(quantities))
    if request.request_type == "REPLACEMENT":
        tasks.restock_note = (
            "Etsy stock is not changed for replacements: if you ship the replacement from the stock you "
            "sell on Etsy, lower that listing's quantity on Etsy yourself."
        )
        return tasks
    if request.request_type != RESTOCK_TYPE:
        return tasks  # refund only: nothing comes back
    tasks.restock_on = get_settings(request.seller_id).restock_on_complete
    tasks.records = records_for(request.seller_id, request.id)
    restocked = db.session.get(RestockedRequest, request.id)
    tasks.restocked_at = restocked.restocked_at if restocked is not None else None
    if tasks.records:
        return tasks
    tab = tab_for_status(request.status)
    if tab == "reject_application":
        tasks.restock_note = (
            "The return was rejected, so nothing comes back for now: leave your Etsy stock as it is. "
            "If the buyer's appeal succeeds, the return goes ahead and this note changes."
        )
        return tasks
    if tab == "closed":
        tasks.restock_note = "The return was withdrawn or closed: nothing comes back; Etsy stock stays."
        return tasks
    items = ", ".join(f"{q} × SKU {sku}" for sku, q in sorted(quantities.items())) or "the returned item"
    if not tasks.restock_on:
        tasks.restock_note = (
            f"Automatic restocking is off: once the item is back, add {items} to your Etsy stock yourself, "
            "or turn on “Restock Etsy inventory on completed returns” in Settings."
        )
    elif request.status == COMPLETE_STATUS:
        tasks.restock_note = f"Adding {items} back to your Etsy stock…"
    else:
        tasks.restock_note = f"When this return completes, {items} will be added back to your Etsy stock."
    return tasks


def etsy_tasks_panel(_sender, *, request: ReturnRequest, **_) -> Panel:
    """``returns.signals.detail_panels`` answer: what the seller must know or do on Etsy."""
    return Panel(
        "listings/_etsy_tasks.html", {"rr": request, "et": etsy_tasks_for(request)}, slot="etsy", order=20
    )


def stores_panel(_sender, *, seller_id: int, connection, **_) -> Panel:
    """``connect.signals.etsy_step_panels`` answer: the connected Etsy shop's listings on the Stores
    page — how many, when fetched, and how many of the SKUs in the seller's TikTok requests match."""
    refresh = get_for_seller(ListingRefresh, seller_id, etsy_connection_id=connection.id)
    context = {
        "refresh": refresh,
        "match": sku_match(seller_id) if refresh and refresh.refreshed_at else None,
    }
    return Panel("listings/_stores_panel.html", context)
