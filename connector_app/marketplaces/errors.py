"""Typed errors raised by the marketplace clients.

Every error keeps what the marketplace said (``code``, ``message``, ``http_status``, ``request_id``) for
logs and support, and renders as a plain sentence a seller can read through ``str()``.
"""

from __future__ import annotations


class MarketplaceError(Exception):
    """Base class: the marketplace answered with an error, or could not be talked to."""

    default_retryable = False

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | int | None = None,
        http_status: int | None = None,
        request_id: str | None = None,
        retryable: bool | None = None,
        retry_after: float | None = None,
        marketplace: str = "The marketplace",
    ) -> None:
        self.message = (message or "").strip()
        self.code = None if code is None else str(code)
        self.http_status = http_status
        self.request_id = request_id
        self.retryable = self.default_retryable if retryable is None else retryable
        self.retry_after = retry_after
        self.marketplace = marketplace
        super().__init__(str(self))

    def _detail(self) -> str:
        return self.message.rstrip(". ") or "no details were given"

    def seller_message(self) -> str:
        return f"{self.marketplace} returned an error: {self._detail()}."

    def __str__(self) -> str:
        return self.seller_message()

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(code={self.code!r}, message={self.message!r}, "
            f"http_status={self.http_status!r}, request_id={self.request_id!r})"
        )


class TokenExpired(MarketplaceError):
    def seller_message(self) -> str:
        return f"The access token for {self.marketplace} has expired and needs to be renewed."


class TokenInvalid(TokenExpired):
    """The access token is invalid or revoked (TikTok: 36009004 naming ``x-tts-access-token``).

    Handled like an expired token — renewed once and retried — and raised as ``AuthorizationLost``
    when the renewed token is refused too.
    """

    def seller_message(self) -> str:
        return f"{self.marketplace} does not accept the access token any more."


class AuthorizationLost(MarketplaceError):
    """Revoked, refresh failed for good, or a scope is missing: the seller must reconnect."""

    def reason(self) -> str:
        """Why, as one clause without a final full stop (stored as the "needs reconnecting" reason)."""
        detail = self.message.rstrip(". ")
        base = f"{self.marketplace} no longer authorizes this connection"
        return f"{base} ({detail})" if detail else base

    def seller_message(self) -> str:
        return f"{self.reason()}; please reconnect your shop."


class NotConnected(AuthorizationLost):
    """The store is already marked "needs reconnecting" (or disconnected); ``message`` is the stored
    reason, repeated as it is — never wrapped in another sentence."""

    def reason(self) -> str:
        return self.message.rstrip(". ") or "this store needs reconnecting"

    def seller_message(self) -> str:
        return f"This store needs reconnecting: {self.reason()}."


class RateLimited(MarketplaceError):
    default_retryable = True

    def seller_message(self) -> str:
        return f"{self.marketplace} is receiving too many requests right now; please try again in a minute."


class ServerError(MarketplaceError):
    default_retryable = True

    def seller_message(self) -> str:
        return f"{self.marketplace} is having a temporary problem; please try again later."


class TransportError(MarketplaceError):
    """Timeouts and connection failures (raised once retries are exhausted)."""

    default_retryable = True

    def seller_message(self) -> str:
        return f"{self.marketplace} could not be reached; please try again in a few minutes."


class NotFound(MarketplaceError):
    def seller_message(self) -> str:
        return f"{self.marketplace} could not find that record ({self._detail()})."


class RequestRefused(MarketplaceError):
    """The request is not valid for the record's current state (wrong decision, bad parameter...)."""

    def seller_message(self) -> str:
        return f"{self.marketplace} refused the request: {self._detail()}."


# Why a return or cancellation decision was refused (``DecisionRefused.reason``).
WITH_PLATFORM = "with_platform"  # TikTok's platform team has taken the case over
STATUS_MOVED_ON = "status_moved_on"  # the request is no longer at a stage that takes this decision
CANNOT_APPROVE_RECEIPT = "cannot_approve_receipt"  # no returned parcel to confirm yet
ALREADY_CANCELLED = "already_cancelled"
ALREADY_APPROVED = "already_approved"
ALREADY_HANDLED = "already_handled"
WRONG_DECISION = "wrong_decision"
REASON_OFFLINE = "reason_offline"  # the reject reason was withdrawn by TikTok
NOT_ALLOWED = "not_allowed"  # another documented refusal of this decision
NOT_FOR_US_SHOPS = "not_for_us_shops"  # US shops reject a cancellation by shipping the order


class DecisionRefused(RequestRefused):
    """TikTok did not take a decision on a return or cancellation (it changed nothing).

    ``reason`` is one of the constants above; nothing about it is worth retrying as it is: the
    request must be re-read and shown as it is now.
    """

    def __init__(self, message: str | None = None, *, reason: str = NOT_ALLOWED, **kwargs) -> None:
        self.reason = reason
        super().__init__(message, **kwargs)


class BadSignature(MarketplaceError):
    def seller_message(self) -> str:
        return f"{self.marketplace} rejected the request signature; the app credentials may be wrong."


class MalformedResponse(MarketplaceError):
    """The answer was not JSON or not the expected shape; retried like a server error."""

    default_retryable = True

    def seller_message(self) -> str:
        return f"{self.marketplace} sent an answer that could not be read; please try again later."


__all__ = [
    "AuthorizationLost",
    "BadSignature",
    "DecisionRefused",
    "MalformedResponse",
    "MarketplaceError",
    "NotConnected",
    "NotFound",
    "RateLimited",
    "RequestRefused",
    "ServerError",
    "TokenExpired",
    "TokenInvalid",
    "TransportError",
]
