"""Marketplace API clients (TikTok Shop, Etsy): plain libraries over ``requests``.

They know HTTP, signing, paging, errors and retries, and nothing of Flask, the database or sellers.
"""

from .errors import (
    AuthorizationLost,
    BadSignature,
    MalformedResponse,
    MarketplaceError,
    NotFound,
    RateLimited,
    RequestRefused,
    ServerError,
    TokenExpired,
    TransportError,
)
from .types import Money, Page

__all__ = [
    "AuthorizationLost",
    "BadSignature",
    "MalformedResponse",
    "MarketplaceError",
    "Money",
    "NotFound",
    "Page",
    "RateLimited",
    "RequestRefused",
    "ServerError",
    "TokenExpired",
    "TransportError",
]
