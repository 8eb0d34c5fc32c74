"""Webhook signing/delivery/retries and fault injection."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import requests
from conftest import tiktok_for

from sandbox_marketplace.signing import webhook_signature
from sandbox_marketplace.testing import SandboxServer


class Receiver:
    """A loopback webhook endpoint that fails the first ``fail`` deliveries."""

    def __init__(self, fail: int = 0) -> None:
        self.fail, self.received = fail, []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                outer.received.append((self.headers["Authorization"], raw, time.time()))
                status = 500 if len(outer.received) <= outer.fail else 200
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.httpd = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/hook"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


def wait_for(predicate, seconds=10.0):
    end = time.time() + seconds
    while time.time() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_status_change_sends_signed_webhook_with_retries() -> None:
    receiver = Receiver(fail=2)
    with SandboxServer(seed=2, returns=100, webhook_url=receiver.url, webhook_retry_scale=0.001) as srv:
        changed = srv.advance(1)
        assert wait_for(lambda: len(receiver.received) >= 3)
        signature, raw, _ = receiver.received[-1]
        us_shop = next(s for s in srv.shops() if s["id"] == changed[0]["shop_id"])["region"] == "US"
        assert signature == webhook_signature(*srv.tiktok_app("US" if us_shop else "ROW"), raw)
        payload = requests.models.complexjson.loads(raw)
        assert payload["type"] in (11, 12) and payload["shop_id"] == changed[0]["shop_id"]
        assert wait_for(lambda: srv.webhook_deliveries()[0]["state"] == "delivered")
        delivery = srv.webhook_deliveries()[0]
        assert delivery["attempts"] == 3
        gaps = [b[2] - a[2] for a, b in zip(receiver.received, receiver.received[1:], strict=False)]
        assert gaps[0] >= 0.1 and gaps[1] >= 1.5  # +120 s and +1800 s scaled by 0.001


def test_gives_up_after_four_retries() -> None:
    receiver = Receiver(fail=100)
    with SandboxServer(seed=2, returns=50, webhook_url=receiver.url, webhook_retry_scale=0.00001) as srv:
        shop = srv.shops()[0]
        srv.send_webhook(7, shop["id"])
        assert wait_for(lambda: srv.webhook_deliveries()[0]["state"] == "failed", 15)
        assert len(receiver.received) == 5


def test_deauthorization_webhook_revokes_tokens(fresh) -> None:
    receiver = Receiver()
    fresh.set_webhook_url(receiver.url)
    client = tiktok_for(fresh, "Kirana Craft Co")
    shop = client.shops()[0]
    fresh.send_webhook(6, shop["id"])
    assert wait_for(lambda: receiver.received)
    refused = client.call("GET", "/authorization/202309/shops").json()
    assert refused["code"] == 36009004 and "x-tts-access-token" in refused["message"]


def test_api_call_never_waits_for_a_slow_webhook(fresh) -> None:
    fresh.set_webhook_url("http://127.0.0.1:9/unreachable")
    client = tiktok_for(fresh, "Harbor & Pine Goods")
    shop = client.shops()[0]
    target = next(r for r in fresh.all_requests(shop["id"]) if r["next_action"] == "SELLER_RESPOND_CANCEL")
    started = time.time()
    reply = client.call(
        "POST",
        f"/return_refund/202309/cancellations/{target['id']}/approve",
        {"shop_cipher": shop["cipher"]},
        b"{}",
    )
    assert reply.json()["code"] == 0 and time.time() - started < 1


@pytest.mark.parametrize(("fault", "status"), [("rate_429", 429), ("rate_500", 500), ("rate_503", 503)])
def test_http_faults_apply_to_api_not_control(fresh, fault, status) -> None:
    client = tiktok_for(fresh)
    fresh.set_faults(**{fault: 1.0, "retry_after": 3})
    response = client.call("GET", "/authorization/202309/shops")
    assert response.status_code == status
    if status == 429:
        assert response.headers["Retry-After"] == "3" and response.json()["code"] == 36009002
    etsy = requests.get(
        fresh.url + "/v3/application/openapi-ping",
        timeout=5,
        headers={"x-api-key": f"{fresh.etsy_keystring}:{fresh.etsy_shared_secret}"},
    )
    assert etsy.status_code == status
    assert fresh.counts()  # control API unaffected
    fresh.clear_faults()
    assert client.call("GET", "/authorization/202309/shops").status_code == 200


def test_malformed_latency_and_timeout(fresh) -> None:
    client = tiktok_for(fresh)
    fresh.set_faults(rate_malformed=1.0)
    with pytest.raises(ValueError):
        client.call("GET", "/authorization/202309/shops").json()
    fresh.set_faults(rate_malformed=0, latency_ms=300)
    started = time.time()
    client.call("GET", "/authorization/202309/shops")
    assert time.time() - started >= 0.3
    fresh.set_faults(latency_ms=0, rate_timeout=1.0, timeout_seconds=2)
    with pytest.raises(requests.Timeout):
        requests.get(fresh.url + "/authorization/202309/shops", timeout=0.5)


def test_fault_rolls_are_deterministic_with_a_seed(fresh) -> None:
    client = tiktok_for(fresh)

    def run() -> list[int]:
        fresh.set_faults(rate_500=0.5, seed=42)
        return [client.call("GET", "/authorization/202309/shops").status_code for _ in range(12)]

    first = run()
    assert first == run() and 500 in first and 200 in first


def test_short_lived_tokens(fresh) -> None:
    fresh.set_faults(token_ttl_seconds=1)
    client = tiktok_for(fresh)
    assert client.call("GET", "/authorization/202309/shops").json()["code"] == 0
    fresh.advance_clock(2.1)  # the marketplace's time, not ours: the token is now expired
    assert client.call("GET", "/authorization/202309/shops").json()["code"] == 105002


def test_the_sandbox_clock_only_moves_forward(fresh) -> None:
    before = fresh.advance_clock(0)
    assert fresh.advance_clock(3600) >= before + 3600
    response = requests.post(f"{fresh.url}/_sandbox/clock", json={"advance": -5}, timeout=5)
    assert response.status_code == 400
