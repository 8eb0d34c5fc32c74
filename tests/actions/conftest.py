from __future__ import annotations

from collections.abc import Iterator

import pytest

from sandbox_marketplace.testing import SandboxServer
from tests.actions.helpers import connect_sandbox_shop, import_request
from tests.fixtures.request_thread import no_marketplace_call_on_a_web_request  # noqa: F401 (autouse)


class Sandbox:
    """A sandbox marketplace shared by a module; hands out each pending request only once."""

    def __init__(self, server: SandboxServer) -> None:
        self.server = server
        self.used: set[str] = set()

    def take(self, action: str, count: int = 1, shop_id: str | None = None) -> list[dict]:
        found = [
            r
            for r in self.server.all_requests(shop_id)
            if r["next_action"] == action and r["id"] not in self.used
        ]
        if shop_id is None and found:
            found = [r for r in found if r["shop_id"] == found[0]["shop_id"]]
        assert len(found) >= count, f"the sandbox has too few requests waiting on {action}"
        self.used.update(r["id"] for r in found[:count])
        return found[:count]

    def remote_shop(self, shop_id: str) -> dict:
        return next(s for s in self.server.shops() if s["id"] == shop_id)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with SandboxServer(seed=5, returns=400, SANDBOX_TIKTOK_QPS=10_000, SANDBOX_ETSY_QPS=10_000) as server:
        yield Sandbox(server)


@pytest.fixture
def waiting(app, sandbox, factories, seller):
    """``waiting(action, count)`` → (shop, [request dicts]) imported for ``seller`` from the sandbox."""

    shops: dict[str, object] = {}

    def make(action: str, count: int = 1):
        items = sandbox.take(action, count)
        remote_id = items[0]["shop_id"]
        if remote_id not in shops:
            remote = sandbox.remote_shop(remote_id)
            shops[remote_id] = connect_sandbox_shop(app, sandbox.server, factories, seller, remote)
        shop = shops[remote_id]
        for item in items:
            import_request(app, shop, item["id"], item["kind"])
        return shop, items

    return make
