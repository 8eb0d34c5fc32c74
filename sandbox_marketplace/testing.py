"""Run a throw-away sandbox marketplace inside a test process.

Usage::

    from sandbox_marketplace.testing import SandboxServer

    with SandboxServer(seed=1, returns=300) as sb:
        code = sb.authorize_tiktok(seller="Harbor & Pine Goods")
        # point the connector at sb.url (TIKTOK_API_URL, TIKTOK_AUTH_API_URL, ETSY_API_URL, ...)
        # and use sb.app_key / sb.app_secret / sb.etsy_keystring / sb.etsy_shared_secret
        sb.set_faults(rate_429=0.5, seed=7)
        sb.advance(5)
        assert sb.counts()["AWAITING_BUYER_SHIP"] >= 0

Each server has its own SQLite file in a temporary directory and listens on a free loopback port
(werkzeug, threaded). Everything here goes through the public HTTP control API under ``/_sandbox``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import requests
from werkzeug.serving import WSGIRequestHandler, make_server

from . import create_app


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:  # keep test output readable
        pass


class SandboxServer:
    """Context manager serving a fresh sandbox marketplace on ``127.0.0.1:<free port>``.

    Attributes: ``url`` (no trailing slash), ``app_key``, ``app_secret``, ``service_id`` (the global
    TikTok app), ``us_app_key``, ``us_app_secret``, ``us_service_id`` (the US app), ``etsy_keystring``,
    ``etsy_shared_secret``, ``app`` (the Flask app, for white-box tests).
    """

    def __init__(
        self,
        seed: int = 1,
        returns: int = 300,
        tick_seconds: float = 0,
        webhook_url: str | None = None,
        webhook_retry_scale: float = 0.01,
        separate_process: bool = False,
        **settings: Any,
    ) -> None:
        """``webhook_url=None`` disables webhooks (set one later with :meth:`set_webhook_url`).

        ``separate_process=True`` serves from a child process (``python -m sandbox_marketplace``) instead
        of a thread, so the marketplace does not share this process's CPU and GIL — as the real
        services do not. Benchmarks use it.

        ``webhook_retry_scale`` multiplies TikTok's retry delays (120 s, 1800 s, ...): 0.01 → 1.2 s, 18 s.
        Extra ``settings`` are SANDBOX_* overrides, e.g. ``SANDBOX_ETSY_QPS=1000``.
        """
        self._tmp = tempfile.TemporaryDirectory(prefix="sandbox-")
        self.config: dict[str, Any] = {
            "SANDBOX_DB": str(Path(self._tmp.name) / "sandbox.sqlite"),
            "SANDBOX_SEED": seed,
            "SANDBOX_RETURNS": returns,
            "SANDBOX_TICK_SECONDS": tick_seconds,
            "SANDBOX_WEBHOOK_URL": webhook_url or "",
            "SANDBOX_WEBHOOK_RETRY_SCALE": webhook_retry_scale,
            **settings,
        }
        self.app = create_app(self.config)  # builds and seeds the database
        self._process: subprocess.Popen | None = None
        if separate_process:
            self._server = None
            self._port = _free_port()
        else:
            self._server = make_server("127.0.0.1", 0, self.app, threaded=True, request_handler=_QuietHandler)
            self._port = self._server.server_port
        self.url = f"http://127.0.0.1:{self._port}"
        self.app_key = self.app.config["SANDBOX_APP_KEY"]
        self.app_secret = self.app.config["SANDBOX_APP_SECRET"]
        self.service_id = self.app.config["SANDBOX_SERVICE_ID"]
        self.us_app_key = self.app.config["SANDBOX_US_APP_KEY"]
        self.us_app_secret = self.app.config["SANDBOX_US_APP_SECRET"]
        self.us_service_id = self.app.config["SANDBOX_US_SERVICE_ID"]
        self.etsy_keystring = self.app.config["SANDBOX_ETSY_KEYSTRING"]
        self.etsy_shared_secret = self.app.config["SANDBOX_ETSY_SHARED_SECRET"]
        self._thread = (
            threading.Thread(
                target=self._server.serve_forever,
                # stop() waits for the serving loop to look again: 0.5 s by default, at every stop
                kwargs={"poll_interval": 0.05},
                name="sandbox-http",
                daemon=True,
            )
            if self._server is not None
            else None
        )
        self._http = requests.Session()

    # lifecycle -------------------------------------------------------------------------------
    def start(self) -> SandboxServer:
        if self._thread is not None:
            self._thread.start()
            return self
        env = {**os.environ, **{key: str(value) for key, value in self.config.items()}}
        self._process = subprocess.Popen(  # noqa: S603 - our own module
            [sys.executable, "-m", "sandbox_marketplace", "--port", str(self._port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                self._http.get(f"{self.url}/_sandbox/state", timeout=2)
                return self
            except requests.ConnectionError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("the sandbox process did not start within 30 s")

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
        if self._server is not None:
            self._server.shutdown()
        sb = self.app.extensions["sandbox"]
        sb.dispatcher.stop()
        if sb.ticker is not None:
            sb.ticker.stop()
        self._http.close()
        self._tmp.cleanup()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # control API -----------------------------------------------------------------------------
    def _call(self, method: str, path: str, **kw: Any) -> Any:
        response = self._http.request(method, f"{self.url}/_sandbox{path}", timeout=60, **kw)
        response.raise_for_status()
        return response.json()

    def set_faults(self, **faults: Any) -> dict[str, Any]:
        """latency_ms, rate_429, retry_after, rate_500, rate_503, rate_timeout, timeout_seconds,
        rate_malformed, expire_tokens_now, token_ttl_seconds, expire_token_after_calls, seed."""
        return self._call("POST", "/faults", json=faults)["faults"]

    def advance_clock(self, seconds: float) -> float:
        """Move the marketplace's clock ``seconds`` forward (tokens expire, later update_time stamps)."""
        return self._call("POST", "/clock", json={"advance": seconds})["now"]

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    def advance(self, count: int, shop_id: str | None = None) -> list[dict[str, Any]]:
        """Move ``count`` requests one lifecycle step (buyer/platform side); returns the changed ones."""
        return self._call("POST", "/advance", json={"count": count, "shop_id": shop_id})["changed"]

    def advance_request(self, request_id: str) -> dict[str, Any]:
        """Move one request one lifecycle step (an overdue one is decided by TikTok)."""
        return self._call("POST", "/advance", json={"request_id": request_id})["changed"][0]

    def move_deadline(
        self,
        request_id: str,
        *,
        deadline: int | None = None,
        in_seconds: int | None = None,
        webhook: bool = False,
    ) -> dict[str, Any]:
        """Move a waiting request's deadline (absolute, or ``in_seconds`` from the sandbox's now)."""
        body: dict[str, Any] = {"webhook": webhook}
        body.update({"deadline": deadline} if deadline is not None else {"in_seconds": in_seconds or 0})
        return self._call("POST", f"/requests/{request_id}/deadline", json=body)

    def reset(self, seed: int = 1, returns: int = 300) -> None:
        self._call("POST", "/reset", json={"seed": seed, "returns": returns})

    def authorize_tiktok(self, seller: str | None = None, region: str | None = None) -> str:
        """An auth_code as if the seller clicked Approve.

        ``seller``: name, id or open_id (default: the first seller);
        ``region``: a region one of its shops is in.
        """
        return self._call("POST", "/authorize/tiktok", json={"seller": seller, "region": region})["code"]

    def authorize_tiktok_for_app(
        self, seller: str | None = None, region: str | None = None
    ) -> tuple[str, str]:
        """``(auth_code, app)``: the code and the app that can exchange it ("US" or "ROW")."""
        answer = self._call("POST", "/authorize/tiktok", json={"seller": seller, "region": region})
        return answer["code"], answer["app"]

    def tiktok_app(self, group: str) -> tuple[str, str]:
        """``(app_key, app_secret)`` of the US ("US") or the global ("ROW") app."""
        if group == "US":
            return self.us_app_key, self.us_app_secret
        return self.app_key, self.app_secret

    def revoke_tiktok_tokens(self, seller: str, *, refresh: bool = False) -> int:
        """Revoke a seller's access tokens (and its refresh tokens with ``refresh=True``)."""
        return self._call("POST", "/tokens/revoke", json={"seller": seller, "refresh": refresh})["revoked"]

    def connector_config(self) -> dict[str, Any]:
        """The connector's settings pointing at this sandbox, with both TikTok apps."""
        return {
            "TIKTOK_APP_KEY": self.app_key,
            "TIKTOK_APP_SECRET": self.app_secret,
            "TIKTOK_SERVICE_ID": self.service_id,
            "TIKTOK_US_APP_KEY": self.us_app_key,
            "TIKTOK_US_APP_SECRET": self.us_app_secret,
            "TIKTOK_US_SERVICE_ID": self.us_service_id,
            "TIKTOK_AUTHORIZE_URL_US": f"{self.url}/us/open/authorize",
            "TIKTOK_AUTHORIZE_URL_ROW": f"{self.url}/open/authorize",
            "TIKTOK_AUTH_API_URL": self.url,
            "TIKTOK_API_URL": self.url,
            "ETSY_KEYSTRING": self.etsy_keystring,
            "ETSY_SHARED_SECRET": self.etsy_shared_secret,
            "ETSY_AUTHORIZE_URL": f"{self.url}/oauth/connect",
            "ETSY_TOKEN_URL": f"{self.url}/v3/public/oauth/token",
            "ETSY_API_URL": self.url,
        }

    def authorize_etsy(
        self,
        code_challenge: str,
        redirect_uri: str,
        state: str,
        user: str | None = None,
        client_id: str | None = None,
    ) -> str:
        """An Etsy authorization code bound to this PKCE challenge and redirect URI."""
        body = {
            "user": user,
            "code_challenge": code_challenge,
            "redirect_uri": redirect_uri,
            "state": state,
            "client_id": client_id or self.etsy_keystring,
        }
        return self._call("POST", "/authorize/etsy", json=body)["code"]

    def counts(self, shop_id: str | None = None) -> dict[str, int]:
        """Requests by status (both kinds), optionally for one shop id."""
        return self._call("GET", "/counts", params={"shop_id": shop_id} if shop_id else None)

    def all_requests(self, shop_id: str | None = None) -> list[dict[str, Any]]:
        """Every return and cancellation: id, kind, shop_id, type, status, amounts, deadline, times."""
        items: list[dict[str, Any]] = []
        after = "0"
        while after:
            params = {"after": after} | ({"shop_id": shop_id} if shop_id else {})
            page = self._call("GET", "/requests", params=params)
            items += page["requests"]
            after = page["next_after"]
        return items

    def shops(self) -> list[dict[str, Any]]:
        """TikTok shops: id, name, region, cipher, currency, seller (name), counts."""
        return self._call("GET", "/state")["shops"]

    def state(self) -> dict[str, Any]:
        return self._call("GET", "/state")

    def set_webhook_url(self, url: str) -> None:
        self._call("POST", "/webhooks", json={"url": url})

    def send_webhook(
        self, type: int, shop_id: str, return_id: str | None = None, cancel_id: str | None = None
    ) -> int:  # noqa: A002
        """Queue a webhook: 12/11 for a return/cancellation, 6 deauthorization (revokes the
        seller's tokens), 7 authorization expiring. Returns the delivery id."""
        body = {"type": type, "shop_id": shop_id, "return_id": return_id, "cancel_id": cancel_id}
        return self._call("POST", "/webhooks/send", json=body)["id"]

    def webhook_deliveries(self) -> list[dict[str, Any]]:
        """Newest first: id, type, shop_id, body (parsed), state (pending/delivered/failed),
        attempts, last_status, last_error."""
        return self._call("GET", "/webhooks")["deliveries"]
