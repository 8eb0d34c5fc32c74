"""Seller authorization for TikTok Shop: the authorize URL, code exchange and token refresh."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import requests

from ..errors import AuthorizationLost, MalformedResponse, MarketplaceError
from ..http import HttpTransport, load_json, not_yet_processed
from ..observe import Observer
from ..policy import TOKEN_CALLS, RetryPolicy
from . import parsing
from .envelope import MARKETPLACE, error_for
from .types import TokenSet

TOKEN_PATH = "/api/v2/token/get"
REFRESH_PATH = "/api/v2/token/refresh"


def parse_token_response(payload: Mapping[str, Any], *, http_status: int = 200) -> TokenSet:
    """A ``TokenSet`` from the token endpoint's JSON; raises the typed error when ``code != 0``."""
    if not isinstance(payload, Mapping) or "code" not in payload:
        raise MalformedResponse("the token answer has no result code", marketplace=MARKETPLACE)
    try:
        code = int(payload["code"])
    except (TypeError, ValueError):
        raise MalformedResponse("the token answer has an unreadable code", marketplace=MARKETPLACE) from None
    if code != 0:
        raise error_for(code, str(payload.get("message") or ""), http_status, payload.get("request_id"), None)
    data = payload.get("data")
    if not isinstance(data, Mapping) or not data.get("access_token"):
        raise MalformedResponse("the token answer has no access token", marketplace=MARKETPLACE)
    return parsing.token_set(data)


class TikTokAuth:
    def __init__(
        self,
        app_key: str,
        app_secret: str,
        auth_api_url: str,
        session: requests.Session | None = None,
        policy: RetryPolicy = TOKEN_CALLS,
        *,
        sleep: Callable[[float], None] | None = None,
        observer: Observer | None = None,
    ) -> None:
        self.app_key = app_key
        self.app_secret = app_secret
        self.auth_api_url = auth_api_url.rstrip("/")
        self._http = HttpTransport(
            marketplace=MARKETPLACE, session=session, policy=policy, sleep=sleep, observer=observer
        )

    @staticmethod
    def authorize_url(authorize_base: str, service_id: str, state: str) -> str:
        """Where to send the seller, e.g. ``https://services.tiktokshop.com/open/authorize?service_id=..``."""
        parts = urlsplit(authorize_base)
        query = "&".join(q for q in (parts.query, urlencode({"service_id": service_id, "state": state})) if q)
        return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))

    def _token_call(self, path: str, params: dict[str, str]) -> TokenSet:
        query = {"app_key": self.app_key, "app_secret": self.app_secret, **params}

        def attempt() -> TokenSet:
            response = self._http.request("GET", self.auth_api_url + path, params=query)
            try:
                payload = load_json(response, MARKETPLACE)
            except MalformedResponse:
                if response.status_code == 429 or response.status_code >= 500:
                    raise error_for(
                        None, f"HTTP {response.status_code}", response.status_code, None, None
                    ) from None
                raise
            return parse_token_response(payload, http_status=response.status_code)

        return self._http.run(attempt, describe=f"GET {path}", retry_if=not_yet_processed)

    def get_token(self, auth_code: str) -> TokenSet:
        """Exchange the single-use ``code`` from the redirect for the seller's tokens."""
        return self._token_call(TOKEN_PATH, {"auth_code": auth_code, "grant_type": "authorized_code"})

    def refresh(self, refresh_token: str) -> TokenSet:
        """New access and refresh tokens; ``AuthorizationLost`` when the refresh token is no longer valid."""
        try:
            return self._token_call(
                REFRESH_PATH, {"refresh_token": refresh_token, "grant_type": "refresh_token"}
            )
        except MarketplaceError as exc:
            if exc.retryable or isinstance(exc, AuthorizationLost):
                raise
            raise AuthorizationLost(
                exc.message or "the refresh token was refused",
                code=exc.code,
                http_status=exc.http_status,
                request_id=exc.request_id,
                marketplace=MARKETPLACE,
            ) from exc
