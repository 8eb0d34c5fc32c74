"""TikTok Shop Open API client (202309 endpoints): signed calls, paging, typed results and errors."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from typing import Any, Literal
from urllib.parse import quote

import requests

from ..errors import AuthorizationLost, TokenExpired, TokenInvalid
from ..http import HttpTransport, Limiter, get_limiter
from ..observe import Observer, RateLimitWaited
from ..policy import BACKGROUND, RetryPolicy
from . import parsing
from .envelope import MARKETPLACE, Envelope, unwrap
from .signing import sign
from .types import ActionResult, AftersaleRequest, Page, RejectReason, ReturnRecord, Shop

logger = logging.getLogger(__name__)

REQUESTS_PER_SECOND = 50
RR = "/return_refund/202309"
Kind = Literal["return", "cancellation"]
_SEARCH = {
    "return": (f"{RR}/returns/search", "return_orders", "return_ids"),
    "cancellation": (f"{RR}/cancellations/search", "cancellations", "cancel_ids"),
}


def _encode_body(body: Mapping[str, Any] | None) -> bytes | None:
    if body is None:
        return None
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


class TikTokClient:
    """Calls for one seller (``access_token``) and, for shop-scoped calls, one shop (``shop_cipher``).

    ``policy`` says how hard each call tries (``policy.BACKGROUND`` in jobs, ``INTERACTIVE`` where a
    person waits); ``sleep`` replaces ``time.sleep`` between attempts (tests).
    """

    def __init__(
        self,
        app_key: str,
        app_secret: str,
        api_url: str,
        access_token: str,
        shop_cipher: str | None = None,
        *,
        session: requests.Session | None = None,
        policy: RetryPolicy = BACKGROUND,
        on_token_expired: Callable[[], str] | None = None,
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], float] = time.time,
        limiter: Limiter | None = None,
        observer: Observer | None = None,
        on_authorization_lost: Callable[[AuthorizationLost], None] | None = None,
    ) -> None:
        self.app_key = app_key
        self.app_secret = app_secret
        self.api_url = api_url.rstrip("/")
        self.access_token = access_token
        self.shop_cipher = shop_cipher
        self.on_token_expired = on_token_expired
        # Told once the authorization is lost for good (an access token refused even after renewing it),
        # before ``AuthorizationLost`` is raised: the caller marks the shop "needs reconnecting".
        self.on_authorization_lost = on_authorization_lost
        self._clock = clock
        self._http = HttpTransport(
            marketplace=MARKETPLACE, session=session, policy=policy, sleep=sleep, observer=observer
        )
        # No burst: TikTok counts calls in a sliding one-second window, so a full bucket plus its refill
        # would allow twice the limit in one window. ``limiter`` shares the limit beyond this process.
        self._limiter: Limiter = limiter or get_limiter(
            ("tiktok", app_key, shop_cipher or ""), REQUESTS_PER_SECOND, capacity=1
        )

    # -- transport ---------------------------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, Any] | None = None,
        body: Mapping[str, Any] | None = None,
        shop_scoped: bool = True,
    ) -> Envelope:
        if shop_scoped and not self.shop_cipher:
            raise ValueError(f"{path} is shop-scoped: create the client with a shop_cipher")
        body_bytes = _encode_body(body)  # serialized once: these exact bytes are signed and sent

        def attempt() -> Envelope:
            waited = self._limiter.acquire()
            if waited:
                self._http.notify(RateLimitWaited(MARKETPLACE, "limiter", waited))
            params = {"app_key": self.app_key, "timestamp": str(int(self._clock()))}
            if shop_scoped:
                params["shop_cipher"] = str(self.shop_cipher)
            params.update({k: str(v) for k, v in (query or {}).items() if v is not None})
            params["sign"] = sign(self.app_secret, path, params, body_bytes)
            headers = {"x-tts-access-token": self.access_token, "content-type": "application/json"}
            response = self._http.request(
                method, self.api_url + path, params=params, data=body_bytes, headers=headers
            )
            return unwrap(response)

        describe = f"{method} {path}"
        try:
            return self._http.run(attempt, describe=describe)
        except TokenExpired as first:
            if self.on_token_expired is None:
                if isinstance(first, TokenInvalid):
                    self._lost(first, "the access token is invalid or was revoked")
                raise
            logger.info(
                "%s %s: access token %s, renewing it and retrying once",
                MARKETPLACE,
                describe,
                "refused" if isinstance(first, TokenInvalid) else "expired",
            )
            self.access_token = self.on_token_expired()
        try:
            return self._http.run(attempt, describe=describe)
        except TokenInvalid as again:
            self._lost(again, "the access token was refused again after renewing it")

    def _lost(self, exc: TokenInvalid, why: str):  # noqa: ANN202 - always raises
        """One renewal did not help: the authorization is lost (the seller must reconnect)."""
        lost = AuthorizationLost(
            why,
            code=exc.code,
            http_status=exc.http_status,
            request_id=exc.request_id,
            marketplace=MARKETPLACE,
        )
        logger.warning("%s: %s (%s): authorization lost", MARKETPLACE, why, exc.message)
        if self.on_authorization_lost is not None:
            self.on_authorization_lost(lost)
        raise lost from exc

    # -- authorization -----------------------------------------------------------------------------

    def get_authorized_shops(self) -> list[Shop]:
        envelope = self._call("GET", "/authorization/202309/shops", shop_scoped=False)
        return [parsing.shop(item) for item in envelope.data.get("shops") or ()]

    # -- returns and cancellations -----------------------------------------------------------------

    def _search(
        self,
        kind: Kind,
        filters: Mapping[str, Any] | None,
        page_size: int,
        page_token: str | None,
        sort_field: str,
        sort_order: str,
    ) -> Page[AftersaleRequest]:
        path, items_key, _ = _SEARCH[kind]
        query = {"page_size": page_size, "sort_field": sort_field, "sort_order": sort_order}
        if page_token:
            query["page_token"] = page_token
        data = self._call("POST", path, query=query, body=dict(filters or {})).data
        total = data.get("total_count")
        return Page(
            items=[parsing.aftersale_request(item, kind) for item in data.get(items_key) or ()],
            next_page_token=str(data.get("next_page_token") or ""),
            total_count=int(total) if total is not None else None,
        )

    def _iter(
        self, kind: Kind, filters: Mapping[str, Any] | None, page_token: str | None, **kw: Any
    ) -> Iterator[Page[AftersaleRequest]]:
        token = page_token
        while True:
            page = self._search(kind, filters, page_token=token, **kw)
            yield page
            if not page.next_page_token or page.next_page_token == token:
                return
            token = page.next_page_token

    def search_returns(
        self,
        filters: dict | None = None,
        *,
        page_size: int = 50,
        page_token: str | None = None,
        sort_field: str = "update_time",
        sort_order: str = "ASC",
    ) -> Page[AftersaleRequest]:
        """One page of returns; paging and sort go in the query, ``filters`` in the JSON body."""
        return self._search("return", filters, page_size, page_token, sort_field, sort_order)

    def iter_returns(
        self,
        filters: dict | None = None,
        *,
        page_size: int = 50,
        sort_field: str = "update_time",
        sort_order: str = "ASC",
        page_token: str | None = None,
    ) -> Iterator[Page[AftersaleRequest]]:
        """Every page of returns, following ``next_page_token`` until it is empty."""
        return self._iter(
            "return", filters, page_token, page_size=page_size, sort_field=sort_field, sort_order=sort_order
        )

    def search_cancellations(
        self,
        filters: dict | None = None,
        *,
        page_size: int = 50,
        page_token: str | None = None,
        sort_field: str = "update_time",
        sort_order: str = "ASC",
    ) -> Page[AftersaleRequest]:
        return self._search("cancellation", filters, page_size, page_token, sort_field, sort_order)

    def iter_cancellations(
        self,
        filters: dict | None = None,
        *,
        page_size: int = 50,
        sort_field: str = "update_time",
        sort_order: str = "ASC",
        page_token: str | None = None,
    ) -> Iterator[Page[AftersaleRequest]]:
        return self._iter(
            "cancellation",
            filters,
            page_token,
            page_size=page_size,
            sort_field=sort_field,
            sort_order=sort_order,
        )

    def _get_one(self, kind: Kind, request_id: str) -> AftersaleRequest | None:
        ids_key = _SEARCH[kind][2]
        page = self._search(kind, {ids_key: [str(request_id)]}, 10, None, "update_time", "ASC")
        return next((item for item in page.items if item.request_id == str(request_id)), None)

    def get_return(self, return_id: str) -> AftersaleRequest | None:
        return self._get_one("return", return_id)

    def get_cancellation(self, cancel_id: str) -> AftersaleRequest | None:
        return self._get_one("cancellation", cancel_id)

    def get_return_records(self, return_id: str) -> list[ReturnRecord]:
        data = self._call("GET", f"{RR}/returns/{quote(str(return_id), safe='')}/records").data
        return [parsing.return_record(item) for item in data.get("records") or ()]

    def get_reject_reasons(self, return_or_cancel_id: str, locale: str = "en-US") -> list[RejectReason]:
        query = {"return_or_cancel_id": str(return_or_cancel_id), "locale": locale}
        data = self._call("GET", f"{RR}/reject_reasons", query=query).data
        return [parsing.reject_reason(item) for item in data.get("reasons") or ()]

    # -- decisions ---------------------------------------------------------------------------------

    def _act(self, path: str, request_id: str, body: dict[str, Any], idempotency_key: str) -> ActionResult:
        envelope = self._call("POST", path, query={"idempotency_key": idempotency_key}, body=body)
        return ActionResult(request_id=str(request_id), raw=envelope.data, api_request_id=envelope.request_id)

    def approve_return(
        self,
        return_id: str,
        decision: str,
        *,
        idempotency_key: str,
        buyer_keep_item: bool | None = None,
        partial_refund: tuple[str, Decimal] | None = None,
    ) -> ActionResult:
        """Approve with ``decision`` (APPROVE_REFUND, APPROVE_RETURN, ..., OFFER_PARTIAL_REFUND)."""
        body: dict[str, Any] = {"decision": decision}
        if buyer_keep_item is not None:
            body["buyer_keep_item"] = buyer_keep_item
        if partial_refund is not None:
            currency, amount = partial_refund
            body["partial_refund"] = {"currency": currency, "amount": str(amount)}
        path = f"{RR}/returns/{quote(str(return_id), safe='')}/approve"
        return self._act(path, return_id, body, idempotency_key)

    def reject_return(
        self,
        return_id: str,
        decision: str,
        *,
        reject_reason: str,
        idempotency_key: str,
        comment: str | None = None,
    ) -> ActionResult:
        """Reject with ``decision`` and a ``reject_reason`` name from ``get_reject_reasons``."""
        body: dict[str, Any] = {"decision": decision, "reject_reason": reject_reason}
        if comment:
            body["comment"] = comment
        path = f"{RR}/returns/{quote(str(return_id), safe='')}/reject"
        return self._act(path, return_id, body, idempotency_key)

    def approve_cancellation(self, cancel_id: str, *, idempotency_key: str) -> ActionResult:
        path = f"{RR}/cancellations/{quote(str(cancel_id), safe='')}/approve"
        return self._act(path, cancel_id, {}, idempotency_key)

    def reject_cancellation(
        self, cancel_id: str, *, reject_reason: str, idempotency_key: str, comment: str | None = None
    ) -> ActionResult:
        body: dict[str, Any] = {"reject_reason": reject_reason}
        if comment:
            body["comment"] = comment
        path = f"{RR}/cancellations/{quote(str(cancel_id), safe='')}/reject"
        return self._act(path, cancel_id, body, idempotency_key)
