"""The Authlib clients that connect a seller's stores.

Etsy is standard OAuth 2.0 (authorization code + PKCE S256, no client secret). TikTok Shop is not: its
authorize page takes ``service_id`` and ``state`` only, and its token endpoint is a GET with
``app_key``/``app_secret``/``auth_code``/``grant_type=authorized_code`` answering a
``{code, message, data}`` envelope with absolute expiry times. Authlib keeps doing what it is good at —
generating, storing and checking ``state`` and the PKCE verifier — and TikTok's differences are plugged
in through its extension points: an ``OAuth2Session`` subclass (``client_cls``), a client auth method and
an ``access_token_response`` compliance hook.

The ``oauth`` registry is process-wide while the factory may build several apps (tests, CLI) with other
marketplace URLs, and Authlib caches one client per name; so the clients read their credentials and
endpoints from ``current_app.config`` each time they are used.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

import requests
from authlib.common.security import generate_token
from authlib.common.urls import add_params_to_uri
from authlib.integrations.flask_client import FlaskIntegration, FlaskOAuth2App
from authlib.integrations.requests_client import OAuth2Session
from flask import current_app

from connector_app.extensions import oauth
from connector_app.marketplaces.tiktok import TikTokAuth, parse_token_response

ETSY = "etsy"
TIKTOK_US = "tiktok_us"
TIKTOK_ROW = "tiktok_row"
ETSY_SCOPES = "transactions_r listings_r listings_w shops_r"
TIKTOK_TOKEN_PATH = "/api/v2/token/get"
TIKTOK_AUTH_METHOD = "tiktok_app_credentials"
log = logging.getLogger(__name__)


class _FromConfig:
    """A client setting read from ``current_app.config`` whenever Authlib reads it."""

    def __init__(self, resolve: Callable[[Mapping[str, Any]], Any]) -> None:
        self.resolve = resolve

    def __get__(self, obj: object, owner: type | None = None) -> Any:
        if obj is None:
            return self
        return self.resolve(current_app.config)

    def __set__(self, obj: object, value: Any) -> None:
        # Authlib's constructor assigns whatever was registered (or found under ETSY_* keys when the
        # client is created); the live configuration of the running app always wins.
        pass


MAX_PENDING_FLOWS = 3  # per client: older unfinished flows are dropped from the session cookie
STATE_SECONDS = 15 * 60


class ExpiringStateIntegration(FlaskIntegration):
    """Authlib keeps ``state`` in the session for an hour but does not refuse an expired one; we do.

    Each started flow adds its state (and PKCE verifier) to the session cookie: without a bound,
    starting "Connect Etsy" ~50 times grows the cookie past what servers accept (431 on every request).
    Only the latest ``MAX_PENDING_FLOWS`` flows per client are kept, each for ``STATE_SECONDS``.
    """

    expires_in = STATE_SECONDS

    def get_state_data(self, session: Any, state: str | None) -> dict | None:
        stored = session.get(f"_state_{self.name}_{state}")
        if not stored or stored.get("exp", 0) < time.time():
            return None
        return super().get_state_data(session, state)

    def set_state_data(self, session: Any, state: str, data: Any) -> None:
        prefix = f"_state_{self.name}_"
        pending = sorted(
            (k for k in list(session.keys()) if k.startswith(prefix)),
            key=lambda k: (session[k] or {}).get("exp", 0) if isinstance(session[k], dict) else 0,
        )
        for key in pending[: max(0, len(pending) - (MAX_PENDING_FLOWS - 1))]:
            session.pop(key, None)
        super().set_state_data(session, state, data)


def has_pending_flow(client: FlaskOAuth2App, state: str | None) -> bool:
    """Whether ``state`` names a flow this browser started (and that has not expired)."""
    from flask import session

    return bool(state) and client.framework.get_state_data(session, state) is not None


def drop_pending_flow(client: FlaskOAuth2App, state: str | None) -> None:
    from flask import session

    if state:
        client.framework.clear_state_data(session, state)


class _ConfiguredApp(FlaskOAuth2App):
    def __init__(self, framework: FlaskIntegration, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(ExpiringStateIntegration(framework.name, framework.cache), name, **kwargs)


class EtsyApp(_ConfiguredApp):
    client_id = _FromConfig(lambda c: c["ETSY_KEYSTRING"])
    client_secret = _FromConfig(lambda c: None)  # Etsy's PKCE flow sends no secret
    authorize_url = _FromConfig(lambda c: c["ETSY_AUTHORIZE_URL"])
    access_token_url = _FromConfig(lambda c: c["ETSY_TOKEN_URL"])


# -- TikTok Shop -----------------------------------------------------------------------------------


def tiktok_app_credentials(client: Any, method: str, uri: str, headers: dict, body: str):
    """Client authentication for TikTok's token endpoint: app_key and app_secret in the query."""
    uri = add_params_to_uri(uri, [("app_key", client.client_id), ("app_secret", client.client_secret)])
    return uri, headers, body


def tiktok_token_response(response: requests.Response) -> requests.Response:
    """Unwrap TikTok's ``{code, message, data}`` envelope into a standard OAuth token answer.

    A non-zero ``code`` raises the typed ``MarketplaceError`` of ``parse_token_response``. Expiry times
    are absolute: they become ``expires_at`` (and ``refresh_token_expires_at``), never ``expires_in``.
    """
    if response.status_code == 429 or response.status_code >= 500:
        response.raise_for_status()
    try:
        payload = response.json()
    except ValueError:
        payload = None
    tokens = parse_token_response(payload, http_status=response.status_code)
    standard = {
        "access_token": tokens.access_token,
        "token_type": "Bearer",
        "expires_at": tokens.access_token_expires_at,
        "refresh_token": tokens.refresh_token,
        "refresh_token_expires_at": tokens.refresh_token_expires_at,
        "open_id": tokens.open_id,
        "seller_name": tokens.seller_name,
        "seller_base_region": tokens.seller_base_region,
        "scope": " ".join(tokens.granted_scopes),
    }
    response._content = json.dumps(standard).encode()  # noqa: SLF001 - the documented way to rewrite a body
    return response


def tiktok_compliance_fix(session: OAuth2Session) -> None:
    session.register_compliance_hook("access_token_response", tiktok_token_response)


class TikTokSession(OAuth2Session):
    """Authlib's requests session, speaking TikTok Shop's authorize URL and token exchange."""

    def create_authorization_url(
        self, url: str, state: str | None = None, code_verifier: str | None = None, **kwargs: Any
    ) -> tuple[str, str]:
        """``{authorize page}?service_id=...&state=...`` — TikTok takes nothing else."""
        state = state or generate_token()
        return TikTokAuth.authorize_url(url, kwargs["service_id"], state), state

    def fetch_token(self, url: str | None = None, body: str = "", method: str = "GET", **kwargs: Any):
        """The code exchange: ``GET ?app_key&app_secret&auth_code&grant_type=authorized_code``."""
        code = kwargs.pop("code", None)
        for unused in ("redirect_uri", "code_verifier", "grant_type"):
            kwargs.pop(unused, None)
        return super().fetch_token(
            url, body, method="GET", grant_type="authorized_code", auth_code=code, **kwargs
        )


class TikTokApp(_ConfiguredApp):
    client_cls = TikTokSession
    access_token_url = _FromConfig(lambda c: c["TIKTOK_AUTH_API_URL"].rstrip("/") + TIKTOK_TOKEN_PATH)


class TikTokUSApp(TikTokApp):
    """The app of TikTok's US Partner Center: US shops."""

    client_id = _FromConfig(lambda c: c["TIKTOK_US_APP_KEY"])
    client_secret = _FromConfig(lambda c: c["TIKTOK_US_APP_SECRET"])
    authorize_url = _FromConfig(lambda c: c["TIKTOK_AUTHORIZE_URL_US"])
    authorize_params = _FromConfig(lambda c: {"service_id": c["TIKTOK_US_SERVICE_ID"]})


class TikTokROWApp(TikTokApp):
    """The app of TikTok's global Partner Center: every other market."""

    client_id = _FromConfig(lambda c: c["TIKTOK_APP_KEY"])
    client_secret = _FromConfig(lambda c: c["TIKTOK_APP_SECRET"])
    authorize_url = _FromConfig(lambda c: c["TIKTOK_AUTHORIZE_URL_ROW"])
    authorize_params = _FromConfig(lambda c: {"service_id": c["TIKTOK_SERVICE_ID"]})


def register_clients() -> None:
    """Register the clients once per process (their settings are read live, see the module doc)."""
    if oauth.create_client(ETSY) is None:
        oauth.register(
            ETSY,
            client_cls=EtsyApp,
            client_kwargs={"code_challenge_method": "S256", "token_endpoint_auth_method": "none"},
        )
    for name, app_cls in ((TIKTOK_US, TikTokUSApp), (TIKTOK_ROW, TikTokROWApp)):
        if oauth.create_client(name) is None:
            oauth.register(
                name,
                client_cls=app_cls,
                client_kwargs={"token_endpoint_auth_method": TIKTOK_AUTH_METHOD},
                client_auth_methods=[(TIKTOK_AUTH_METHOD, tiktok_app_credentials)],
                compliance_fix=tiktok_compliance_fix,
            )


def etsy_oauth() -> EtsyApp:
    return oauth.create_client(ETSY)


def tiktok_oauth(region_group: str) -> TikTokApp:
    """The client whose authorize page serves ``region_group`` ("US" or "ROW")."""
    return oauth.create_client(TIKTOK_US if region_group == "US" else TIKTOK_ROW)


def token_timeout() -> tuple[float, float]:
    return (5.0, float(current_app.config["MARKETPLACE_TIMEOUT"]))


def refused_callback(client: FlaskOAuth2App, marketplace: str) -> str | None:
    """The sentence for a callback carrying an OAuth ``error`` (None when it carries none).

    Authlib reads ``error`` before it checks ``state``, so anyone could send a seller to the callback
    with an ``error_description`` of their choosing. Only a callback whose ``state`` names a flow this
    browser started is read as the marketplace's answer, and then as a fixed sentence per error code;
    the description is logged, never shown.
    """
    from flask import request

    from connector_app.connect.failures import STATE, oauth_error_sentence

    error = request.args.get("error")
    if not error:
        return None
    state = request.args.get("state")
    if not has_pending_flow(client, state):
        return STATE
    drop_pending_flow(client, state)
    log.warning(
        "connecting %s refused: %r %r",
        marketplace,
        error[:64],
        (request.args.get("error_description") or "")[:200],
    )
    return oauth_error_sentence(error, marketplace)
