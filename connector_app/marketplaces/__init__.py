"""Marketplace API clients (TikTok Shop, Etsy): plain libraries over ``requests``.

They know HTTP, signing, paging, errors and retries, and nothing of Flask, the database or sellers.
"""

from .errors import (
    AuthorizationLost,
    BadSignature,
    DecisionRefused,
    MalformedResponse,
    MarketplaceError,
    NotConnected,
    NotFound,
    RateLimited,
    RequestRefused,
    ServerError,
    TokenExpired,
    TokenInvalid,
    TransportError,
)
from .types import Money, Page

__all__ = [
    "AuthorizationLost",
    "BadSignature",
    "DecisionRefused",
    "MalformedResponse",
    "MarketplaceError",
    "Money",
    "NotConnected",
    "NotFound",
    "Page",
    "RateLimited",
    "RequestRefused",
    "ServerError",
    "TokenExpired",
    "TokenInvalid",
    "TransportError",
]
