"""TikTok Shop fulfilment calls for seller-shipped orders (reference ``tiktok-products-orders-fbt.md`` §3).

- Shipping providers: ``GET /logistics/202309/delivery_options/{delivery_option_id}/shipping_providers``.
- US, UK, ES, IE, IT, DE, FR, JP: **Mark Package As Shipped**
  ``POST /fulfillment/202309/orders/{order_id}/packages``
  ``{tracking_number, shipping_provider_id, order_line_item_ids?}`` (line ids for a split shipment).
- SEA, LATAM: **Ship Package** ``POST /fulfillment/202309/packages/{package_id}/ship`` ``{self_shipment{…}}``.
- Read back: ``GET /fulfillment/202309/packages/{package_id}``.
- Fix a tracking number (once, within TikTok's window):
  ``POST /fulfillment/202309/packages/{id}/shipping_info/update``.

The errors that mean "already shipped" (21008099, 11006021, 21011040, 21011020) are not failures by
themselves: the caller reads the package back to confirm it (``ALREADY_SHIPPED``). Refusals a seller
must be told about are raised as ``ShipRefused`` with a reason.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import quote

from ..errors import MarketplaceError
from ..types import to_id

if TYPE_CHECKING:
    from .client import TikTokClient

MARK_SHIPPED_REGIONS = frozenset({"US", "GB", "UK", "ES", "IE", "IT", "DE", "FR", "JP"})
ALREADY_SHIPPED = frozenset({21008099, 11006021, 21011040, 21011020})
REFUSALS = {
    21008025: "fbt",  # fulfilled by TikTok: TikTok ships it
    21011044: "on_hold",
    21011041: "cancelled",
    21008044: "after_sale_pending",
    21011007: "after_sale_pending",
    21011025: "tracking_used",
    21034012: "tracking_used",
    11028006: "tracking_mismatch",
    21004015: "tracking_mismatch",
    21004016: "tracking_mismatch",
    21011048: "several_packages",
    21011049: "update_window_over",
    21011050: "update_not_allowed",
    21011051: "update_not_allowed",
    21008117: "fbt",  # providers of a delivery option fulfilled by TikTok
}


class ShipRefused(MarketplaceError):
    """TikTok refused to ship (or to change the tracking of) this order; ``reason`` says why."""

    def __init__(self, message: str, *, reason: str, **kw) -> None:
        super().__init__(message, **kw)
        self.reason = reason


@dataclass(frozen=True)
class Provider:
    id: str
    name: str


@dataclass(frozen=True)
class Package:
    id: str
    status: str
    tracking_number: str
    shipping_provider_id: str
    line_ids: tuple[str, ...]


def _code(exc: MarketplaceError) -> int | None:
    try:
        return int(exc.code) if exc.code is not None else None
    except (TypeError, ValueError):
        return None


def _refuse(exc: MarketplaceError) -> MarketplaceError:
    code = _code(exc)
    if code in REFUSALS:
        return ShipRefused(
            exc.message,
            reason=REFUSALS[code],
            code=code,
            http_status=exc.http_status,
            request_id=exc.request_id,
            marketplace=exc.marketplace,
        )
    return exc


def already_shipped(exc: MarketplaceError) -> bool:
    return _code(exc) in ALREADY_SHIPPED


def shipping_providers(client: TikTokClient, delivery_option_id: str) -> list[Provider]:
    path = f"/logistics/202309/delivery_options/{quote(str(delivery_option_id), safe='')}/shipping_providers"
    try:
        data = client._call("GET", path).data
    except MarketplaceError as exc:
        raise _refuse(exc) from exc
    return [
        Provider(id=to_id(p.get("id")), name=str(p.get("name") or ""))
        for p in data.get("shipping_providers") or ()
    ]


def mark_package_shipped(
    client: TikTokClient,
    order_id: str,
    tracking_number: str,
    shipping_provider_id: str,
    line_ids: Iterable[str] | None = None,
) -> str:
    """Mark Package As Shipped (US/UK/EU/JP); returns the package id. ``line_ids``: a split shipment."""
    body: dict = {"tracking_number": tracking_number, "shipping_provider_id": shipping_provider_id}
    lines = [str(i) for i in line_ids or ()]
    if lines:
        body["order_line_item_ids"] = lines
    path = f"/fulfillment/202309/orders/{quote(str(order_id), safe='')}/packages"
    try:
        data = client._call("POST", path, body=body).data
    except MarketplaceError as exc:
        raise _refuse(exc) from exc
    return to_id(data.get("package_id"))


def ship_package(
    client: TikTokClient, package_id: str, tracking_number: str, shipping_provider_id: str
) -> None:
    """Ship Package with the seller's own carrier (SEA, LATAM)."""
    body = {
        "self_shipment": {"tracking_number": tracking_number, "shipping_provider_id": shipping_provider_id}
    }
    try:
        client._call(
            "POST", f"/fulfillment/202309/packages/{quote(str(package_id), safe='')}/ship", body=body
        )
    except MarketplaceError as exc:
        raise _refuse(exc) from exc


def get_package(client: TikTokClient, package_id: str) -> Package:
    data = client._call("GET", f"/fulfillment/202309/packages/{quote(str(package_id), safe='')}").data
    return Package(
        id=to_id(data.get("package_id") or data.get("id") or package_id),
        status=str(data.get("package_status") or ""),
        tracking_number=str(data.get("tracking_number") or ""),
        shipping_provider_id=to_id(data.get("shipping_provider_id")),
        line_ids=tuple(to_id(i) for i in data.get("order_line_item_ids") or ()),
    )


def update_tracking(
    client: TikTokClient, package_id: str, tracking_number: str, shipping_provider_id: str
) -> None:
    """Correct a shipped package's tracking number (once, within TikTok's window)."""
    body = {"tracking_number": tracking_number, "shipping_provider_id": shipping_provider_id}
    path = f"/fulfillment/202309/packages/{quote(str(package_id), safe='')}/shipping_info/update"
    try:
        client._call("POST", path, body=body)
    except MarketplaceError as exc:
        raise _refuse(exc) from exc
