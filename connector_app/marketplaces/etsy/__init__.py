"""Etsy Open API v3: OAuth with PKCE, shops, listings, inventory and receipts."""

from .auth import AuthorizationRefused, EtsyAuth, parse_token_response
from .client import EtsyClient
from .types import (
    EtsyMe,
    EtsyShop,
    EtsyTokenSet,
    Inventory,
    Listing,
    Page,
    RateLimitState,
    Receipt,
    Refund,
    Transaction,
)

__all__ = [
    "AuthorizationRefused",
    "EtsyAuth",
    "EtsyClient",
    "EtsyMe",
    "EtsyShop",
    "EtsyTokenSet",
    "Inventory",
    "Listing",
    "Page",
    "RateLimitState",
    "Receipt",
    "Refund",
    "Transaction",
    "parse_token_response",
]
