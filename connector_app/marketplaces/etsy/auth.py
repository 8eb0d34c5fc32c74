"""Etsy OAuth 2.0 (authorization code + PKCE): code exchange and refresh. No client secret is sent."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import requests

from ..errors import AuthorizationLost, MalformedResponse, MarketplaceError, RateLimited, ServerError
from ..http import HttpTransport, load_json, not_yet_processed, parse_retry_after
from ..observe import Observer
from ..policy import TOKEN_CALLS, RetryPolicy
from . import parsing
from .parsing import MARKETPLACE
from .types import EtsyTokenSet


class AuthorizationRefused(MarketplaceError):
    """The code exchange was refused (code reused or expired, redirect_uri or verifier mismatch)."""

    def seller_message(self) -> str:
        return f"Etsy did not accept the connection ({self._detail()}); please connect your shop again."


def _oauth_error(payload: Any, status: int) -> tuple[str, str]:
    if isinstance(payload, Mapping):
        return str(payload.get("error") or ""), str(payload.get("error_description") or "")
    return "", ""


def parse_token_response(payload: Mapping[str, Any]) -> EtsyTokenSet:
    """An ``EtsyTokenSet`` from a successful token answer (user id = number before the dot)."""
    if not isinstance(payload, Mapping):
        raise MalformedResponse("the token answer is not an object", marketplace=MARKETPLACE)
    if payload.get("error"):
        error, description = _oauth_error(payload, 400)
        raise MarketplaceError(description or error, code=error, marketplace=MARKETPLACE)
    return parsing.token_set(payload)


class EtsyAuth:
    def __init__(
        self,
        keystring: str,
        token_url: str,
        session: requests.Session | None = None,
        policy: RetryPolicy = TOKEN_CALLS,
        *,
        sleep: Callable[[float], None] | None = None,
        observer: Observer | None = None,
    ) -> None:
        self.keystring = keystring
        self.token_url = token_url
        self._http = HttpTransport(
            marketplace=MARKETPLACE, session=session, policy=policy, sleep=sleep, observer=observer
        )

    def _post(self, form: dict[str, str], *, refreshing: bool) -> EtsyTokenSet:
        def attempt() -> EtsyTokenSet:
            response = self._http.request(
                "POST",
                self.token_url,
                data=form,
                headers={"content-type": "application/x-www-form-urlencoded", "accept": "application/json"},
            )
            status = response.status_code
            if status == 429:
                raise RateLimited(
                    "too many token requests",
                    http_status=status,
                    retry_after=parse_retry_after(response.headers.get("Retry-After")),
                    marketplace=MARKETPLACE,
                )
            if status >= 500:
                raise ServerError(f"HTTP {status}", http_status=status, marketplace=MARKETPLACE)
            payload = load_json(response, MARKETPLACE)
            if status >= 400 or (isinstance(payload, Mapping) and payload.get("error")):
                error, description = _oauth_error(payload, status)
                detail = description or error or f"HTTP {status}"
                if error == "invalid_grant":
                    cls = AuthorizationLost if refreshing else AuthorizationRefused
                else:
                    cls = MarketplaceError
                raise cls(detail, code=error or None, http_status=status, marketplace=MARKETPLACE)
            return parse_token_response(payload)

        return self._http.run(attempt, describe="POST token", retry_if=not_yet_processed)

    def exchange_code(self, code: str, redirect_uri: str, code_verifier: str) -> EtsyTokenSet:
        return self._post(
            {
                "grant_type": "authorization_code",
                "client_id": self.keystring,
                "redirect_uri": redirect_uri,
                "code": code,
                "code_verifier": code_verifier,
            },
            refreshing=False,
        )

    def refresh(self, refresh_token: str) -> EtsyTokenSet:
        """New tokens (Etsy rotates the refresh token: store the new one at once)."""
        return self._post(
            {"grant_type": "refresh_token", "client_id": self.keystring, "refresh_token": refresh_token},
            refreshing=True,
        )
