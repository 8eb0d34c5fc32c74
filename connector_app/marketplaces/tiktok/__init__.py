"""TikTok Shop Open API (202309): signing, seller authorization and the Return & Refund calls."""

from .auth import TikTokAuth, parse_token_response
from .client import TikTokClient
from .signing import sign, verify_webhook, webhook_signature
from .types import (
    ActionResult,
    AftersaleRequest,
    LineItem,
    NextAction,
    Page,
    RefundAmount,
    RejectReason,
    ReturnRecord,
    Shop,
    TokenSet,
)

__all__ = [
    "ActionResult",
    "AftersaleRequest",
    "LineItem",
    "NextAction",
    "Page",
    "RefundAmount",
    "RejectReason",
    "ReturnRecord",
    "Shop",
    "TikTokAuth",
    "TikTokClient",
    "TokenSet",
    "parse_token_response",
    "sign",
    "verify_webhook",
    "webhook_signature",
]
