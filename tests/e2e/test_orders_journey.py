"""Orders in a real browser against a real stack (web, worker, cron, queue, sandbox).

Sign up → connect Etsy and a global seller's two TikTok shops → the first order sync starts by itself
(the orders subject of the sync machinery) → the Orders grid: tabs with counts, a tab by URL, search,
an order's detail (masked buyer, items, why it cannot ship), Fulfilled by TikTok with its warehouse
stock → switch "Etsy stock follows TikTok sales" on through its confirmation page → a buyer places an
order on TikTok (the sandbox's control) → the type-1 webhook brings it in and Etsy's stock of the SKU
drops by exactly the units sold → the grid on a 390 px phone. axe-core checks every page visited.
"""

from __future__ import annotations

import json
import re
import time

import pytest
import requests
from playwright.sync_api import Page, expect

from devtools.stack import Stack, wait_for
from sandbox_marketplace.signing import webhook_signature
from tests.e2e.test_journey import connect_etsy, connect_tiktok, shot, sign_up

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
SELLER = "Lindenhof Atelier"


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """Two workers (one is SIGKILLed in the fault run) and a short "unconfirmed write" delay."""
    env = {"ORDER_STOCK_STALE_SECONDS": "5"}
    with Stack(
        tmp_path_factory.mktemp("orders-stack"), web_workers=2, rq_workers=2, sandbox_returns=600, env=env
    ) as s:
        yield s


def orders_arrive(page: Page, a11y) -> None:
    page.get_by_role("link", name="Orders", exact=True).click()
    expect(page).to_have_url(re.compile(r"/orders$"))

    def synced() -> bool:
        page.reload()
        return page.locator("#order-tab-count-all").inner_text().strip() not in ("0", "")

    wait_for(synced, 90, "the first order sync to bring orders in", interval=1.0)
    a11y.check(page, "(orders)")
    shot(page, "orders")


def tabs_search_detail(page: Page, a11y) -> None:
    page.locator("#orders-tabs").get_by_role("link", name=re.compile("Awaiting Shipment")).click()
    expect(page).to_have_url(re.compile(r"tab=awaiting_shipment"))
    expect(page.locator("#orders-grid-title")).to_have_text("Awaiting Shipment")
    expect(page.locator("#orders-grid .deadline-chip").first).to_be_visible()
    a11y.check(page, "(awaiting shipment)")
    first = page.locator("#orders-table tbody tr").first.locator("a").first
    order_id = first.inner_text().strip()
    page.locator("#order-q").fill(order_id)
    expect(page.locator("#orders-table tbody tr")).to_have_count(1)
    page.locator("#orders-table tbody tr a").first.click()
    expect(page).to_have_url(re.compile(r"/orders/\d+$"))
    expect(page.locator("#order-title")).to_contain_text(order_id)
    a11y.check(page, "(order detail)")
    shot(page, "order-detail")


def fbt(page: Page, a11y) -> None:
    page.goto("/orders/fbt")
    expect(page.locator("h1")).to_have_text("Fulfilled by TikTok")
    expect(page.locator("#orders-table td", has_text="TikTok ships").first).to_be_visible()
    a11y.check(page, "(fbt)")
    shot(page, "orders-fbt")


def switch_stock_on(page: Page, a11y) -> None:
    page.goto("/orders/stock")
    a11y.check(page, "(stock setting)")
    page.get_by_role("button", name="Switch it on…").click()
    expect(page.get_by_role("heading", name="Switch it on?")).to_be_visible()
    a11y.check(page, "(stock confirmation)")
    page.get_by_role("button", name="Yes, let Etsy's stock follow TikTok sales").click()
    expect(page.locator("main")).to_contain_text("since")


def sale_reduces_etsy_once(page: Page, stack: Stack, a11y) -> None:
    shop = next(
        s
        for s in stack.sandbox_call("GET", "/state")["shops"]
        if s["seller"] == SELLER and s["region"] == "GB"
    )
    skus = {
        line[1]
        for o in stack.sandbox_call("GET", f"/orders?shop_id={shop['id']}")
        for line in o["line_items"]
    }
    sku = next(
        s for s in sorted(skus) if stack.sandbox_call("GET", f"/etsy/stock?seller_sku={s}")["quantity"] >= 3
    )
    before = stack.sandbox_call("GET", f"/etsy/stock?seller_sku={sku}")["quantity"]
    placed = stack.sandbox_call(
        "POST", "/orders", json={"shop_id": shop["id"], "seller_sku": sku, "units": 2}
    )
    wait_for(
        lambda: stack.sandbox_call("GET", f"/etsy/stock?seller_sku={sku}")["quantity"] == before - 2,
        60,
        f"Etsy's stock of {sku} to drop from {before} by 2",
        interval=0.5,
    )
    page.goto(f"/orders?q={placed['order_id']}")
    page.locator("#orders-table tbody tr a").first.click()
    expect(page.locator(".stock-moves")).to_contain_text(f"Took 2 × {sku}")
    expect(page.locator(".stock-moves")).to_contain_text("done")
    a11y.check(page, "(order with its Etsy stock)")
    # Duplicates of the webhook and the next scheduled sync change nothing more.
    stack.sandbox_call("POST", f"/orders/{placed['order_id']}/status", json={"status": "AWAITING_COLLECTION"})
    page.wait_for_timeout(3000)
    assert stack.sandbox_call("GET", f"/etsy/stock?seller_sku={sku}")["quantity"] == before - 2


def on_a_phone(browser, stack: Stack, page: Page) -> None:
    context = page.context
    phone = context.new_page()
    phone.set_viewport_size({"width": 390, "height": 844})
    phone.goto(f"{stack.web_url}/orders")
    expect(phone.locator("#orders-grid")).to_be_visible()
    width = phone.evaluate("document.documentElement.scrollWidth")
    phone.screenshot(path=str(shot.__globals__["SCREENSHOTS"] / "orders-phone.png"), full_page=False)
    assert width <= 400, f"the orders page scrolls sideways on a phone ({width}px)"
    phone.close()


def burst_latency(stack: Stack) -> None:
    """50 orders placed at once (100 type-1 webhooks: placed, then paid): the time from an order's
    placement until Etsy shows its units gone. Printed (the README records it); the issue's goal is a
    p95 of 10 s on this machine."""
    gb = next(
        s
        for s in stack.sandbox_call("GET", "/state")["shops"]
        if s["seller"] == SELLER and s["region"] == "GB"
    )
    skus = sorted(
        {
            line[1]
            for o in stack.sandbox_call("GET", f"/orders?shop_id={gb['id']}")
            for line in o["line_items"]
        }
    )
    start = etsy_stock(stack, skus)
    skus = [sku for sku in skus if start[sku] >= 12][:6]
    placed: list[tuple[str, float, int]] = []  # (sku, placed at, units of that SKU sold up to this order)
    cumulative = dict.fromkeys(skus, 0)
    for n in range(50):
        sku = skus[n % len(skus)]
        stack.sandbox_call("POST", "/orders", json={"shop_id": gb["id"], "seller_sku": sku, "units": 1})
        cumulative[sku] += 1
        placed.append((sku, time.monotonic(), cumulative[sku]))
    seen: dict[int, float] = {}
    deadline = time.monotonic() + 120
    while len(seen) < len(placed) and time.monotonic() < deadline:
        now, stock = time.monotonic(), etsy_stock(stack, skus)
        for i, (sku, _at, upto) in enumerate(placed):
            if i not in seen and stock[sku] <= start[sku] - upto:
                seen[i] = now
        time.sleep(0.2)
    assert len(seen) == len(placed), "some orders never reached Etsy"
    latencies = sorted(seen[i] - placed[i][1] for i in range(len(placed)))
    p95 = latencies[int(0.95 * (len(latencies) - 1))]
    p50 = latencies[len(latencies) // 2]
    print(
        f"\nwebhook -> Etsy stock reduced, 50 orders (100 webhooks) at once: p50 {p50:.1f} s, p95 {p95:.1f} s"
    )


def etsy_stock(stack: Stack, skus: list[str]) -> dict[str, int]:
    return {sku: stack.sandbox_call("GET", f"/etsy/stock?seller_sku={sku}")["quantity"] for sku in skus}


def fault_run(page: Page, stack: Stack) -> None:
    """429/5xx/timeouts on both marketplaces, every order webhook delivered again (new ids, reversed
    order), an order sync racing the webhooks, a worker SIGKILLed mid-burst: in the end Etsy's stock of
    every SKU is exactly start − sold + cancelled, and nothing needs the seller."""
    gb = next(
        s
        for s in stack.sandbox_call("GET", "/state")["shops"]
        if s["seller"] == SELLER and s["region"] == "GB"
    )
    skus = sorted(
        {
            line[1]
            for o in stack.sandbox_call("GET", f"/orders?shop_id={gb['id']}")
            for line in o["line_items"]
        }
    )
    start = {sku: stack.sandbox_call("GET", f"/etsy/stock?seller_sku={sku}")["quantity"] for sku in skus}
    skus = [sku for sku in skus if start[sku] >= 6][:6]
    first_webhook = max(
        [d["id"] for d in stack.sandbox_call("GET", "/webhooks?limit=1")["deliveries"]] or [0]
    )
    faults = {
        "rate_429": 0.08,
        "rate_500": 0.04,
        "rate_503": 0.03,
        "rate_timeout": 0.02,
        "timeout_seconds": 1,
    }
    stack.sandbox_call("POST", "/faults", json={**faults, "seed": 18})
    sold = dict.fromkeys(skus, 0)
    placed = []
    try:
        for n in range(24):
            sku, units = skus[n % len(skus)], 1 + n % 2
            placed.append(
                (
                    stack.sandbox_call(
                        "POST", "/orders", json={"shop_id": gb["id"], "seller_sku": sku, "units": units}
                    )["order_id"],
                    sku,
                    units,
                )
            )
            sold[sku] += units
            if n == 8:
                stack.kill_worker(
                    0
                )  # SIGKILL mid-burst (its job may be between Etsy's answer and our record)
                page.goto("/orders")
                page.get_by_role("button", name="Sync orders").click()  # a sync racing the webhooks
            if n == 12:
                stack.restart_worker(0)
        for order_id, sku, units in placed[::4]:  # cancelled before shipping: the units come back
            stack.sandbox_call("POST", f"/orders/{order_id}/status", json={"status": "CANCELLED"})
            sold[sku] -= units
        deliveries = [
            d
            for d in stack.sandbox_call("GET", "/webhooks?limit=500")["deliveries"]
            if d["id"] > first_webhook and d["type"] == 1
        ]
        assert len(deliveries) >= 2 * len(placed)  # UNPAID and paid of each order, and the cancellations
        for delivery in deliveries:  # newest first: every one again, reordered, under new ids
            body = dict(
                delivery["body"], tts_notification_id=f"again-{delivery['id']}", timestamp=int(time.time())
            )
            raw = json.dumps(body).encode()
            signature = webhook_signature("sandbox_app_key", "sandbox_app_secret", raw)
            requests.post(
                stack.webhook_url,
                data=raw,
                headers={"Authorization": signature, "content-type": "application/json"},
                timeout=10,
            )
        expected = {sku: start[sku] - sold[sku] for sku in skus}
        wait_for(
            lambda: etsy_stock(stack, skus) == expected,
            240,
            f"Etsy stock to equal start − sold + cancelled {expected}",
            interval=1.0,
        )
    finally:
        stack.sandbox_call("DELETE", "/faults")
    time.sleep(8)  # the sweep and any late job have run again: still exact, nothing written twice
    assert etsy_stock(stack, skus) == expected
    page.goto("/orders?tab=attention")
    assert page.locator("#order-tab-count-attention").inner_text().strip() == "0"


def test_orders_journey(page: Page, stack: Stack, browser, a11y) -> None:
    sign_up(page, a11y)
    connect_etsy(page, stack)
    connect_tiktok(page, stack, a11y)
    orders_arrive(page, a11y)
    tabs_search_detail(page, a11y)
    fbt(page, a11y)
    switch_stock_on(page, a11y)
    sale_reduces_etsy_once(page, stack, a11y)
    on_a_phone(browser, stack, page)
    burst_latency(stack)
    fault_run(page, stack)
    # As the main journey: resources or scripts the seller would miss (htmx's empty inline style is harmless).
    blocked = [e for e in page.console_errors if "violates" in e and "inline style" not in e]
    assert not blocked, "\n".join(blocked)
    assert {"/orders", "/orders/fbt", "/orders/stock"} <= a11y.audited
    assert any(re.fullmatch(r"/orders/(\d+|<id>)", path) for path in a11y.audited)  # an order's detail
    unchecked = {p for p in a11y.visited - a11y.audited if p.startswith("/orders")}
    assert not unchecked, f"pages opened without an accessibility check: {unchecked}"
