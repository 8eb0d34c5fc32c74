"""Etsy Open API v3 client: shops, listings, inventory and receipts, with typed results and errors."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import quote

import requests

from ..errors import (
    AuthorizationLost,
    MalformedResponse,
    MarketplaceError,
    NotFound,
    RateLimited,
    RequestRefused,
    ServerError,
    TokenExpired,
)
from ..http import HttpTransport, load_json, parse_retry_after
from ..observe import Observer, RateLimitWaited
from ..policy import BACKGROUND, RetryPolicy
from ..types import Page, to_id, to_int
from . import parsing
from .parsing import MARKETPLACE
from .types import EtsyMe, EtsyShop, Inventory, Listing, RateLimitState, Receipt

logger = logging.getLogger(__name__)

V3 = "/v3/application"
REQUEST_ID_HEADER = "X-Etsy-Request-Uuid"  # quote it when reporting a problem to Etsy
_AUTH_LOST_WORDS = ("scope", "revoked", "not authorized", "permission")


def _int_header(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def error_for(response: requests.Response) -> MarketplaceError:
    """The typed error for a non-2xx Etsy answer (``{"error": ..., "error_description": ...}``)."""
    status = response.status_code
    try:
        payload = json.loads(response.content)
    except ValueError:
        payload = None
    error = str(payload.get("error") or "") if isinstance(payload, dict) else ""
    description = str(payload.get("error_description") or "") if isinstance(payload, dict) else ""
    message = description or error or f"HTTP {status}"
    retry_after = parse_retry_after(response.headers.get("Retry-After"))
    kwargs: dict[str, Any] = {
        "code": error or None,
        "http_status": status,
        "request_id": response.headers.get(REQUEST_ID_HEADER),
        "marketplace": MARKETPLACE,
    }
    if status == 401:
        cls: type[MarketplaceError] = TokenExpired if error == "invalid_token" else AuthorizationLost
    elif status == 403:
        lowered = message.lower()
        is_key_problem = "x-api-key" in lowered or "shared secret" in lowered or "api key" in lowered
        lost = not is_key_problem and any(word in lowered for word in _AUTH_LOST_WORDS)
        cls = AuthorizationLost if lost else MarketplaceError
    elif status == 404:
        cls = NotFound
    elif status == 429:
        return RateLimited(message, retry_after=retry_after, **kwargs)
    elif status >= 500:
        return ServerError(message, retry_after=retry_after, **kwargs)
    elif status in (400, 409, 422):
        cls = RequestRefused
    else:
        cls = MarketplaceError
    return cls(message, **kwargs)


class EtsyClient:
    """Calls on behalf of one Etsy seller (``access_token``); the key pair goes on every request.

    ``policy`` says how hard each call tries (``policy.BACKGROUND`` in jobs, ``INTERACTIVE`` where a
    person waits).
    """

    def __init__(
        self,
        keystring: str,
        shared_secret: str,
        api_url: str,
        access_token: str | None = None,
        *,
        session: requests.Session | None = None,
        policy: RetryPolicy = BACKGROUND,
        on_token_expired: Callable[[], str] | None = None,
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        observer: Observer | None = None,
        before_call: Callable[[], None] | None = None,
    ) -> None:
        self.keystring = keystring
        # Called before every request (retries included); may raise to refuse the call (a quota).
        self.before_call = before_call
        self.shared_secret = shared_secret
        self.api_url = api_url.rstrip("/")
        self.access_token = access_token
        self.on_token_expired = on_token_expired
        self.rate_limit = RateLimitState()
        self._sleep = sleep if sleep is not None else time.sleep
        self._clock = clock
        self._rate_lock = threading.Lock()
        self._http = HttpTransport(
            marketplace=MARKETPLACE, session=session, policy=policy, sleep=sleep, observer=observer
        )

    # -- transport ---------------------------------------------------------------------------------

    def _pause_if_exhausted(self) -> None:
        """When the last answer said no calls are left this second, wait for the next second."""
        state = self.rate_limit
        if state.remaining_this_second != 0 or state.observed_at is None:
            return
        wait = 1.0 - (self._clock() - state.observed_at)
        if wait > 0:
            logger.info("Etsy per-second limit reached; pausing %.2fs", wait)
            self._http.notify(RateLimitWaited(MARKETPLACE, "limiter", wait))
            self._sleep(wait)

    def _observe(self, response: requests.Response) -> None:
        headers = response.headers
        if "x-remaining-this-second" not in headers and "x-remaining-today" not in headers:
            return
        with self._rate_lock:
            self.rate_limit = RateLimitState(
                limit_per_second=_int_header(headers, "x-limit-per-second"),
                remaining_this_second=_int_header(headers, "x-remaining-this-second"),
                limit_per_day=_int_header(headers, "x-limit-per-day"),
                remaining_today=_int_header(headers, "x-remaining-today"),
                observed_at=self._clock(),
            )

    def _call(
        self, method: str, path: str, *, params: Mapping[str, Any] | None = None, body: Any = None
    ) -> Any:
        data = None if body is None else json.dumps(body, separators=(",", ":")).encode("utf-8")
        query = {k: _query_value(v) for k, v in (params or {}).items() if v is not None}

        def attempt() -> Any:
            if self.before_call is not None:
                self.before_call()
            self._pause_if_exhausted()
            headers = {"x-api-key": f"{self.keystring}:{self.shared_secret}", "accept": "application/json"}
            if self.access_token:
                headers["Authorization"] = f"Bearer {self.access_token}"
            if data is not None:
                headers["content-type"] = "application/json"
            response = self._http.request(
                method, self.api_url + path, params=query, data=data, headers=headers
            )
            self._observe(response)
            if response.status_code >= 400:
                error = error_for(response)
                logger.warning(
                    "Etsy %s %s: HTTP %s %s (%s %s)",
                    method,
                    path,
                    response.status_code,
                    error.message,
                    REQUEST_ID_HEADER,
                    error.request_id or "-",
                )
                raise error
            logger.debug(
                "Etsy %s %s: HTTP %s (%s %s)",
                method,
                path,
                response.status_code,
                REQUEST_ID_HEADER,
                response.headers.get(REQUEST_ID_HEADER, "-"),
            )
            return load_json(response, MARKETPLACE)

        describe = f"{method} {path}"
        try:
            return self._http.run(attempt, describe=describe)
        except TokenExpired:
            if self.on_token_expired is None:
                raise
            logger.info("Etsy %s: access token expired, renewing it and retrying once", describe)
            self.access_token = self.on_token_expired()
            return self._http.run(attempt, describe=describe)

    def _object(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        payload = self._call(method, path, **kwargs)
        if not isinstance(payload, dict):
            raise MalformedResponse(f"{path} did not return an object", marketplace=MARKETPLACE)
        return payload

    # -- calls -------------------------------------------------------------------------------------

    def ping(self) -> int:
        """The application id, proving the key pair works."""
        return to_int(self._object("GET", f"{V3}/openapi-ping").get("application_id"))

    def get_me(self) -> EtsyMe:
        data = self._object("GET", f"{V3}/users/me")
        return EtsyMe(user_id=to_id(data.get("user_id")), shop_id=to_id(data.get("shop_id")))

    def get_shop(self, shop_id: str) -> EtsyShop:
        data = self._object("GET", f"{V3}/shops/{_seg(shop_id)}")
        return EtsyShop(
            shop_id=to_id(data.get("shop_id")),
            shop_name=str(data.get("shop_name") or ""),
            currency_code=str(data.get("currency_code") or ""),
            url=str(data.get("url") or ""),
        )

    def _results(self, path: str, params: Mapping[str, Any], parse: Callable[[Any], Any]) -> Page:
        data = self._object("GET", path, params=params)
        results = data.get("results")
        if not isinstance(results, list):
            raise MalformedResponse(f"{path} returned no result list", marketplace=MARKETPLACE)
        count = data.get("count")
        total = to_int(count) if count is not None else None
        offset = to_int(params.get("offset"), 0)
        end = offset + len(results)
        more = bool(results) and (total is None or end < total)
        return Page(
            items=[parse(r) for r in results], next_page_token=str(end) if more else "", total_count=total
        )

    def get_listings_by_shop(
        self, shop_id: str, *, state: str = "active", limit: int = 100, offset: int = 0
    ) -> Page[Listing]:
        """One page (``next_page_token`` is the next offset, empty on the last page)."""
        params = {"state": state, "limit": limit, "offset": offset}
        return self._results(f"{V3}/shops/{_seg(shop_id)}/listings", params, parsing.listing)

    def iter_listings(self, shop_id: str, state: str = "active") -> Iterator[Listing]:
        offset = 0
        while True:
            page = self.get_listings_by_shop(shop_id, state=state, offset=offset)
            yield from page.items
            if not page.next_page_token:
                return
            offset = int(page.next_page_token)

    def get_listing_inventory(self, listing_id: str) -> Inventory:
        data = self._object("GET", f"{V3}/listings/{_seg(listing_id)}/inventory")
        return parsing.inventory(listing_id, data)

    def update_listing_inventory(self, listing_id: str, inventory: Inventory) -> Inventory:
        data = self._object(
            "PUT", f"{V3}/listings/{_seg(listing_id)}/inventory", body=inventory.to_put_body()
        )
        return parsing.inventory(listing_id, data)

    def add_stock(self, listing_id: str, sku: str, quantity: int) -> Inventory:
        """Restock one SKU: read the inventory, raise that SKU's quantity, PUT the whole inventory back."""
        current = self.get_listing_inventory(listing_id)
        updated = current.with_quantity_added(sku, quantity)
        if updated is None:
            raise NotFound(f"SKU {sku} is not in listing {listing_id}", marketplace=MARKETPLACE)
        return self.update_listing_inventory(listing_id, updated)

    def get_shop_receipts(self, shop_id: str, **filters: Any) -> Page[Receipt]:
        """One page of receipts; ``filters`` are getShopReceipts' query parameters (limit, offset, ...)."""
        return self._results(f"{V3}/shops/{_seg(shop_id)}/receipts", filters, parsing.receipt)

    def get_shop_receipt(self, shop_id: str, receipt_id: str) -> Receipt:
        return parsing.receipt(self._object("GET", f"{V3}/shops/{_seg(shop_id)}/receipts/{_seg(receipt_id)}"))


def _seg(value: Any) -> str:
    return quote(str(value), safe="")


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
