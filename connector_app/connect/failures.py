"""Plain sentences for everything that can go wrong while connecting a store.

Each failure ends on the guide with one of these and a "Try again" button; details go to the log.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.base_client import MismatchingStateError

from connector_app.marketplaces.errors import MarketplaceError

log = logging.getLogger(__name__)

NOTHING_SAVED = "Nothing was connected."
DECLINED = (
    "You declined the connection on {m}, so nothing was connected. You can try again whenever you like."
)
STATE = (
    "This connection link has expired, was already used, or was opened in another browser. "
    "Nothing was connected; please start again."
)
CODE_REFUSED = (
    "{m} did not accept the authorization: the code was already used or has expired. "
    "Nothing was connected; please start again."
)
UNREACHABLE = "{m} could not be reached (it did not answer in time). Nothing was connected; please try again."
TEMPORARY = (
    "{m} had a temporary problem while connecting. Nothing was connected; please try again in a few minutes."
)
PENDING_LOST = "The shop choice took too long and has expired. Nothing was connected; please start again."
ETSY_NO_SHOP = (
    "Your Etsy account does not have a shop yet. Open your shop on Etsy first, then connect it here."
)
TIKTOK_NO_SHOP = (
    "This TikTok Shop account did not give access to any shop. Check that you signed in with the "
    "seller account that owns the shop, then try again."
)

_DECLINED_ERRORS = {"access_denied", "auth_denied"}
LATER = "Please try again in a few minutes."
# What an OAuth ``error`` code means, in our words: the marketplace's (or anyone's) free-text
# ``error_description`` is logged, never shown.
_OAUTH_ERRORS = {
    "invalid_request": "{m} could not read the connection request. " + NOTHING_SAVED + " Please start again.",
    "unauthorized_client": "{m} does not allow this app to connect right now. " + NOTHING_SAVED,
    "unsupported_response_type": "{m} refused how the connection was asked for. " + NOTHING_SAVED,
    "invalid_scope": "{m} refused the permissions this app asks for. " + NOTHING_SAVED,
    "server_error": "{m} had a problem on its side. " + NOTHING_SAVED + " Please try again in a few minutes.",
    "temporarily_unavailable": "{m} is busy right now. "
    + NOTHING_SAVED
    + " Please try again in a few minutes.",
}
REFUSED = "{m} refused the connection. " + NOTHING_SAVED + " Please start again."


def oauth_error_sentence(error: str, marketplace: str) -> str:
    """The fixed sentence for an OAuth ``error`` code sent back with a callback whose state we issued."""
    if error in _DECLINED_ERRORS:
        return DECLINED.format(m=marketplace)
    if error == "invalid_grant":
        return CODE_REFUSED.format(m=marketplace)
    return _OAUTH_ERRORS.get(error, REFUSED).format(m=marketplace)


class FlowFailed(Exception):
    """A flow step failed with a sentence for the seller (``str(exc)``)."""


def _host(exc: BaseException) -> str:
    request = getattr(exc, "request", None)
    url = getattr(request, "url", None) or ""
    return urlsplit(str(url)).netloc or "unknown host"


def explain(exc: BaseException, marketplace: str) -> str:
    """The sentence shown for ``exc`` raised while connecting ``marketplace`` ("Etsy", "TikTok Shop")."""
    if isinstance(exc, FlowFailed):
        return str(exc)
    if isinstance(exc, MismatchingStateError):
        return STATE
    if isinstance(exc, MarketplaceError):
        log.warning("connecting %s failed: %r", marketplace, exc)
        if exc.retryable:
            return f"{exc.seller_message()} {NOTHING_SAVED}"
        detail = exc.message.rstrip(". ") or "no details were given"
        return f"{marketplace} refused the connection ({detail}). {NOTHING_SAVED} Please start again."
    if isinstance(exc, AuthlibBaseError):
        error = getattr(exc, "error", None) or ""
        log.warning(
            "connecting %s failed: %r %r",
            marketplace,
            error[:64],
            (getattr(exc, "description", "") or "")[:200],
        )
        return oauth_error_sentence(error, marketplace)
    if isinstance(exc, requests.Timeout | requests.ConnectionError):
        # Never the exception's text: it holds the token URL with app_secret and auth_code.
        log.warning("connecting %s: unreachable (%s to %s)", marketplace, type(exc).__name__, _host(exc))
        return UNREACHABLE.format(m=marketplace)
    if isinstance(exc, requests.HTTPError | ValueError):
        log.warning(
            "connecting %s: unreadable answer (%s from %s)", marketplace, type(exc).__name__, _host(exc)
        )
        return TEMPORARY.format(m=marketplace)
    raise exc
