"""A seller's whole first session in a real browser, against a real stack (web, worker, cron, queue, sandbox).

Sign up → connect Etsy, two TikTok shops (GB and DE) of a global-market seller and a US shop of a US
seller — two different TikTok apps, the global and the US Partner Center's — through the sandbox's
consent pages → Sync Returns with a live progress bar → the grid opens on "Needs your answer", every
tab's count equals the marketplace's → back/forward, search, filter → open a request in the dialog
(focus in and back out), the bell counts the alerts the sync raised, the notifications page
filters and opens one, alert settings save → reject one with a reason and approve another, the
whole request updating when TikTok answers → approve two requests together after a confirmation → a
TikTok webhook of each app (a
GB and a US shop) changes and highlights a row in the open grid without a reload → insights equal the
marketplace's requests and refunds (per currency), used with the keyboard and at 390 px → the grid on a
390 px phone → change a setting → log out. axe-core checks every page of the product it visits (no
serious or critical violation). Screenshots of the main screens go to ``build/screenshots/``
(git-ignored); ``make screenshots`` sets ``SCREENSHOT_DIR=docs/screenshots`` to refresh the README's.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Page, expect

from connector_app.insights.reasons import REFUNDED_STATUSES
from connector_app.returns.tabs import TABS, tab_for_status
from devtools.stack import Stack, wait_for
from tests.e2e.conftest import AXE
from tests.e2e.marketplace import (
    expected_tab_counts,
    sandbox_counts,
    sandbox_request,
    shops_of,
    waiting_count,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / os.environ.get("SCREENSHOT_DIR", "build/screenshots")
SELLER = "Lindenhof Atelier"  # the demo TikTok seller with two shops (GB and DE): the global app
US_SELLER = "Harbor & Pine Goods"  # a US shop: authorized by the US Partner Center's app
ETSY_USER = "lindenhofatelier"
EMAIL = "lena@lindenhof.example"
PASSWORD = "a long passphrase 42"
SYNC_TIMEOUT_MS = 60_000


def shot(page: Page, name: str, height: int = 900) -> None:
    """A 1280-px-wide PNG of the top ``height`` pixels of the page, for the README."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    clip = {"x": 0, "y": 0, "width": 1280, "height": height}
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True, clip=clip)


def tab_url(key: str) -> re.Pattern[str]:
    """The grid's URL for tab ``key``: ``?tab=<key>``; All is the bare ``/returns`` (or ``tab=all``)."""
    if key == "all":
        return re.compile(r"/returns(\?((?!tab=)[^#])*|\?([^#]*&)?tab=all(&[^#]*)?)?$")
    return re.compile(rf"/returns\?([^#]*&)?tab={key}(&|$)")


def sign_up(page: Page, a11y) -> None:
    page.goto("/")
    a11y.check(page, "(landing)")
    page.get_by_role("button", name="Create an account").click()
    expect(page).to_have_url(re.compile(r"/signup"))
    a11y.check(page, "(sign up)")
    page.get_by_label("Email").fill(EMAIL)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("input[name=confirm]").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/connect$"))
    expect(page.locator("#step-account")).to_contain_text(EMAIL)


def connect_etsy(page: Page, stack: Stack) -> None:
    page.locator("#step-etsy").get_by_role("button", name="Connect Etsy").click()
    expect(page).to_have_url(re.compile(re.escape(stack.sandbox_url) + r"/oauth/connect"))
    page.locator("label.choice", has_text=ETSY_USER).locator("input").check()
    page.get_by_role("button", name="Grant access").click()
    expect(page).to_have_url(re.compile(r"/connect"))
    expect(page.locator("#step-etsy")).to_contain_text("Connected as")


def connect_tiktok(page: Page, stack: Stack, a11y) -> None:
    step = page.locator("#step-tiktok")
    step.locator("select[name=region]").select_option("GB")
    step.get_by_role("button", name="Continue to TikTok Shop").click()
    expect(page).to_have_url(re.compile(re.escape(stack.sandbox_url)))
    page.locator("label.choice", has_text=SELLER).locator("input").check()
    page.get_by_role("button", name="Approve").click()
    # Two shops under one authorization: the connector asks which ones to manage.
    expect(page.get_by_role("heading", name="Which shops should the connector manage?")).to_be_visible()
    a11y.check(page, "(shop choice)")
    boxes = page.locator("input[name=shops]")
    expect(boxes).to_have_count(2)
    for i in range(2):
        boxes.nth(i).check()
    page.get_by_role("button", name="Connect the chosen shops").click()
    expect(page).to_have_url(re.compile(r"/connect"))
    expect(page.locator("#step-tiktok .store-line")).to_have_count(2)
    expect(page.locator("#step-tiktok")).not_to_contain_text("needs reconnecting")


def connect_us_shop(page: Page, stack: Stack) -> None:
    """A US shop in the same account: TikTok's US authorize page, the US app's service id and callback."""
    page.locator("#step-tiktok details.add-shop summary").click()
    page.locator("#step-tiktok details.add-shop select[name=region]").select_option("US")
    page.locator("#step-tiktok details.add-shop").get_by_role(
        "button", name="Continue to TikTok Shop"
    ).click()
    expect(page).to_have_url(
        re.compile(re.escape(stack.sandbox_url) + r"/us/open/authorize\?service_id=sandbox_us")
    )
    page.locator("label.choice", has_text=US_SELLER).locator("input").check()
    page.get_by_role("button", name="Approve").click()
    expect(page).to_have_url(re.compile(r"/connect"))
    expect(page.locator("#flashes")).to_contain_text("Connected your TikTok Shop Harbor & Pine US (US).")
    expect(page.locator("#step-tiktok .store-line")).to_have_count(3)
    expect(page.locator(".connect-alerts")).to_have_count(0)


def run_sync(page: Page, stack: Stack) -> None:
    """Sync Returns from the grid; a slowed-down marketplace keeps the bar on screen long enough to see."""
    page.get_by_role("link", name="Returns", exact=True).click()
    expect(page).to_have_url(re.compile(r"/returns"))
    wait_for_idle_sync(page)
    stack.sandbox_call("POST", "/faults", json={"latency_ms": 400})
    try:
        page.locator(".sync-form").get_by_role("button", name="Sync Returns").click()
        bar = page.locator("#sync-progress progress[role=progressbar]").first
        expect(bar).to_be_visible()
        # The bar moves: some run reports a percentage above zero while it is still running.
        moving = page.locator("#sync-progress progress[aria-valuenow]:not([aria-valuenow='0'])").first
        expect(moving).to_be_visible(timeout=SYNC_TIMEOUT_MS)
        shot(page, "sync-running")
    finally:
        stack.sandbox_call("DELETE", "/faults")
    expect(page.locator("#sync-progress progress")).to_have_count(0, timeout=SYNC_TIMEOUT_MS)
    expect(page.locator("#sync-progress .sync-summary").first).to_be_visible()
    expect(page.locator("#returns-grid table.returns-table")).to_be_visible()


def wait_for_idle_sync(page: Page) -> None:
    """The scheduler may have started the first sync on its own after connecting: let it finish."""
    expect(page.locator("#sync-progress progress")).to_have_count(0, timeout=SYNC_TIMEOUT_MS)


def opens_on_needs_your_answer(page: Page, waiting: int, a11y) -> None:
    """The grid opens on what waits for an answer, soonest deadline first; nothing scrolls sideways."""
    page.goto("/returns")
    expect(page.locator("#returns-tabs a[aria-current=page]")).to_contain_text("Needs your answer")
    expect(page.locator("#tab-count-needs")).to_have_text(f"{waiting:,}")
    expect(page.locator("#returns-filters select[name=order]")).to_have_value("deadline-asc")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280, (
        "the grid scrolls sideways at 1280 px"
    )
    for selector in ("#returns-tabs", ".col-deadline", ".col-status", "details.account-menu summary"):
        box = page.locator(selector).first.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 1280, f"{selector} is cut off at 1280 px"
    a11y.check(page, "(Needs your answer)")
    shot(page, "needs", height=1100)
    page.keyboard.press("Tab")  # the first stop is the skip link, which lands on the requests
    expect(page.locator(".skip-link")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#returns-grid")).to_be_focused()


def check_every_tab(page: Page, expected: dict[str, int]) -> None:
    for tab in TABS:
        page.locator(f"#returns-tabs a:has(#tab-count-{tab.key})").click()
        # A live refresh arriving mid-switch (the poller saw a change) must not bring the old tab back.
        page.evaluate("document.body.dispatchEvent(new Event('returns-changed'))")
        expect(page).to_have_url(tab_url(tab.key))
        active = page.locator("#returns-tabs a[aria-current=page]")
        expect(active).to_contain_text(tab.label)
        expect(page.locator(f"#tab-count-{tab.key}")).to_have_text(f"{expected[tab.key]:,}")
        expect(page.locator("#returns-grid .grid-summary .grid-total")).to_have_text(f"{expected[tab.key]:,}")
        rows = page.locator("#returns-grid tbody tr")
        if expected[tab.key] == 0:
            expect(rows).to_have_count(0)
        else:
            expect(rows.first).to_be_visible()
        if tab.key == "all":
            shot(page, "grid", height=1250)


def back_and_forward(page: Page) -> None:
    last, before_last = TABS[-1], TABS[-2]
    page.go_back()
    expect(page).to_have_url(tab_url(before_last.key))
    expect(page.locator("#returns-tabs a[aria-current=page]")).to_contain_text(before_last.label)
    page.go_forward()
    expect(page).to_have_url(tab_url(last.key))
    expect(page.locator("#returns-tabs a[aria-current=page]")).to_contain_text(last.label)


def search_and_filter(page: Page) -> None:
    page.locator("#returns-tabs a:has(#tab-count-all)").click()
    expect(page).to_have_url(tab_url("all"))
    target = page.locator("#returns-grid tbody tr .request-link").nth(3).inner_text().strip()
    page.locator("#filter-q").fill(target)
    rows = page.locator("#returns-grid tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first.locator(".request-link")).to_have_text(target)
    expect(page).to_have_url(re.compile(rf"q={target}"))
    page.locator("#filter-q").fill("")
    expect(page).not_to_have_url(re.compile(r"q=\d"))
    page.locator("#returns-filters select[name=type]").select_option("cancellation")
    expect(page).to_have_url(re.compile(r"type=cancellation"))
    expect(page.locator("#returns-grid .grid-summary")).to_contain_text("(filtered)")
    types = page.locator("#returns-grid tbody tr .request-type").all_inner_texts()
    assert types and all("ancel" in t for t in types), types
    page.locator("#returns-filters select[name=type]").select_option("")
    expect(page).not_to_have_url(re.compile(r"type=cancellation"))


def see_alerts(page: Page, a11y) -> None:
    """The sync found requests waiting: the bell counts the alerts on every page; the notifications page
    lists them, filters them, opens one (marked read, on to its request); alert settings save."""
    count = page.locator("#notification-bell .bell-count")

    def counted() -> bool:  # the next tick (every 30 s) raises what the sync found; every page shows it
        page.goto("/returns")
        return count.count() > 0

    wait_for(counted, 90, "the bell to count the alerts the sync raised", interval=2)
    page.locator("#notification-bell a").click()
    expect(page).to_have_url(re.compile(r"/notifications$"))
    unread = page.locator(".notification.unread")
    expect(unread.first).to_be_visible()
    before = count.inner_text()
    a11y.check(page, "(notifications)")
    shot(page, "notifications")
    mobile(page, "notifications-mobile")
    page.locator("#filter-kind").select_option("deadline_near")
    expect(page).to_have_url(re.compile(r"kind=deadline_near"))
    titles = page.locator(".notification-title")
    expect(titles.first).to_contain_text("h left")
    assert all("h left" in t for t in titles.all_inner_texts())
    titles.first.click()  # a POST: marked read, then on to the request it is about
    expect(page).to_have_url(re.compile(r"/returns/\d+$"))
    after = before if before.endswith("+") else str(int(before) - 1)  # "99+": more than 99 unread
    expect(page.locator("#notification-bell .bell-count")).to_have_text(after)
    page.goto("/notifications/settings")
    settings = page.locator("#alert-settings")
    settings.locator("input[name=thresholds][value='12']").check()
    settings.locator("select[name=email__request_waiting]").select_option("immediate")
    settings.get_by_role("button", name="Save alert settings").click()
    expect(page.locator("#alert-settings [role=status]")).to_contain_text("Alert settings saved.")
    expect(page.locator("input[name=thresholds][value='12']")).to_be_checked()
    a11y.check(page, "(alert settings)")
    shot(page, "alert-settings", height=1300)
    mobile(page, "alert-settings-mobile")


def mobile(page: Page, name: str) -> None:
    """The same page on a 390 × 844 phone screen (what the phone shows first)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))
    page.set_viewport_size({"width": 1280, "height": 900})


def respond(page: Page, stack: Stack, verb: str, taken: set[str], a11y) -> tuple[str, str]:
    """Open a request waiting for the seller that offers ``verb`` (Approve/Reject) and send it."""
    page.goto("/returns?tab=applying&action=1")
    links = page.locator("#returns-grid tbody tr .request-link")
    expect(links.first).to_be_visible()
    for i in range(links.count()):
        request_id = links.nth(i).inner_text().strip()
        if request_id in taken:
            continue
        page.goto(f"/returns/{request_id}")
        decision = page.locator("#action-panel .decision-list a", has_text=re.compile(rf"^{verb}"))
        if decision.count():
            break
    else:
        raise AssertionError(f"no request in Aftersale Applying offers {verb}")
    if verb == "Reject":
        a11y.check(page, "(a request)")
        shot(page, "detail", height=1200)
    before = page.locator("#request-detail .request-detail-status .badge").first.get_attribute("data-status")
    decision.first.click()
    panel = page.locator("#action-panel.confirm-step")
    expect(panel).to_be_visible()
    if verb == "Reject":
        panel.locator("input[name=reject_reason]").first.check()
        panel.locator("textarea[name=comment], input[name=comment]").first.fill("Item arrived used.")
        a11y.check(page, "(the reject confirmation)")
    panel.get_by_role("button", name=re.compile(rf"^Yes, {verb.lower()}")).click()
    expect(page.locator("#action-panel")).not_to_have_class(re.compile("confirm-step"))
    shop_id = shop_id_of(page, stack, request_id)
    status = wait_for(
        lambda: _moved(stack, shop_id, request_id), 30, f"the sandbox to record the {verb} of {request_id}"
    )
    # Once TikTok answered, the whole request reads again, with no reload: header, badge, deadline,
    # buttons and the timeline, which records the seller's own decision.
    badge = page.locator("#request-detail .request-detail-status .badge").first
    expect(badge).to_have_attribute("data-status", status, timeout=30_000)
    assert before != status
    expect(page.locator("#request-detail .detail-next-action")).to_have_count(0)
    expect(page.locator("#action-panel .decision-list")).to_have_count(0)
    expect(page.locator("#timeline")).to_contain_text(f"{EMAIL} (in this app)", timeout=30_000)
    if verb == "Reject":
        expect(page.locator("#timeline")).to_contain_text("Comment: “Item arrived used.”")
    return request_id, status


def _moved(stack: Stack, shop_id: str, request_id: str) -> str | None:
    status = sandbox_request(stack.sandbox_url, shop_id, request_id)["status"]
    return status if tab_for_status(status) != "applying" else None


def shop_id_of(page: Page, stack: Stack, request_id: str) -> str:
    for shop in shops_of(stack.sandbox_url, SELLER) + shops_of(stack.sandbox_url, US_SELLER):
        try:
            sandbox_request(stack.sandbox_url, shop["id"], request_id)
        except LookupError:
            continue
        return shop["id"]
    raise AssertionError(f"request {request_id} is in none of the connected shops")


def drawer_takes_and_returns_focus(page: Page, a11y) -> None:
    page.goto("/returns?tab=all")
    link = page.locator("#returns-grid .request-link").first
    link.focus()
    page.keyboard.press("Enter")
    dialog = page.locator("dialog#returns-drawer[open]")
    expect(dialog).to_be_visible()
    expect(page.locator("#request-title")).to_be_focused()
    a11y.check(page, "(the request dialog)")
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(page.locator("#returns-grid .request-link").first).to_be_focused()


def approve_two_together(page: Page, a11y) -> None:
    """Bulk: tick two requests, read what each gets and the refunds, then confirm."""
    page.goto("/returns")
    boxes = page.locator("#returns-grid input[data-row-select]:not([disabled])")
    expect(boxes.first).to_be_visible()
    ids = [boxes.nth(i).get_attribute("value") for i in range(2)]
    for i in range(2):
        boxes.nth(i).check()
    page.locator("#bulk-form button[value=approve]").click()
    confirm = page.locator("#bulk-confirm")
    expect(confirm).to_contain_text("Approve 2 requests?")
    expect(confirm.locator(".bulk-totals strong").first).to_be_visible()
    for request_id in ids:
        expect(confirm.locator(f"input[name=items][value^='{request_id}:APPROVE']")).to_have_count(1)
    a11y.check(page, "(the bulk confirmation)")
    shot(page, "bulk-confirm", height=1100)
    confirm.get_by_role("button", name="Yes, approve 2 requests").click()
    expect(page.locator("#bulk-progress")).to_contain_text("Approved 2 of 2", timeout=30_000)


def on_a_phone(browser, stack: Stack, a11y) -> None:
    """390 px: a collapsed menu, folded filters, one card per request, the request full screen."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, base_url=stack.web_url)
    context.add_init_script(path=str(AXE))
    phone = context.new_page()
    phone.goto("/login")
    phone.get_by_label("Email").fill(EMAIL)
    phone.locator("input[name=password]").fill(PASSWORD)
    phone.locator("form button[type=submit]").click()
    phone.goto("/returns")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390, (
        "the grid scrolls sideways at 390 px"
    )
    menu = phone.get_by_role("button", name="Menu")
    expect(menu).to_be_visible()
    expect(phone.locator(".nav-links")).to_be_hidden()
    expect(phone.locator("#filter-panel")).not_to_have_attribute("open", "")
    expect(phone.locator("#returns-table thead")).to_be_hidden()
    card = phone.locator("#returns-grid tbody tr").first
    for cell in (".col-status .badge", ".col-amount", ".col-deadline .deadline-chip"):
        expect(card.locator(cell).first).to_be_visible()
    a11y.check(phone, "(390 px)")
    shot_phone(phone, "grid-phone")
    menu.click()
    expect(phone.locator(".nav-links")).to_be_visible()
    expect(phone.locator("details.account-menu summary")).to_be_visible()
    menu.click()
    card.locator(".request-link").click()
    body = phone.locator("#returns-drawer-body")
    expect(body).to_be_visible()
    width = body.bounding_box()["width"]
    assert width >= 380, f"the request is {width} px wide on a 390 px phone"
    expect(phone.locator("button[data-drawer-close]")).to_be_in_viewport()
    shot_phone(phone, "detail-phone")
    context.close()


def shot_phone(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def see_in_tab(page: Page, request_id: str, status: str) -> None:
    tab = tab_for_status(status)
    page.goto(f"/returns?tab=applying&q={request_id}")
    expect(page.locator("#returns-grid tbody tr")).to_have_count(0)
    page.goto(f"/returns?tab={tab}&q={request_id}")
    row = page.locator("#returns-grid tbody tr")
    expect(row).to_have_count(1)
    expect(row.locator(f".badge[data-status='{status}']")).to_be_visible()


def webhook_changes_open_grid(page: Page, stack: Stack, shop_id: str) -> None:
    page.goto("/returns?tab=all")
    page.evaluate("window.__journeyNoReload = true")
    # The seller points at a row in the middle of the list; the change moves a row to the top (the list
    # is by last update), yet the row under the pointer must stay where it is.
    pointed = page.locator("#returns-grid tbody tr").nth(6)
    pointed.scroll_into_view_if_needed()
    pointed.hover()
    pointed_id = pointed.get_attribute("id")
    top_before = pointed.bounding_box()["y"]
    changed = stack.sandbox_call("POST", "/advance", json={"count": 1, "shop_id": shop_id})["changed"][0]

    def delivered() -> bool:
        deliveries = stack.sandbox_call("GET", "/webhooks")["deliveries"]
        mine = [d for d in deliveries if d["shop_id"] == shop_id and d["body"]["data"].get(
            "return_id", d["body"]["data"].get("cancel_id")) == changed["id"]]  # fmt: skip
        return any(d["state"] == "delivered" and d["last_status"] == 200 for d in mine)

    # Accepted (HTTP 200): signed by the app of the shop's seller, verified against that app.
    wait_for(delivered, 30, f"the sandbox to deliver the webhook of shop {shop_id}")
    row = page.locator(
        "#returns-grid tbody tr", has=page.locator(f".request-link:text-is('{changed['id']}')")
    )
    expect(row.locator(f".badge[data-status='{changed['status']}']")).to_be_visible(timeout=30_000)
    expect(row).to_have_class(re.compile(r"\brow-changed\b"))  # the live refresh shows what changed
    assert page.evaluate("window.__journeyNoReload === true"), "the page reloaded"
    if changed["id"] not in pointed_id:
        top_after = page.locator(f"#{pointed_id}").bounding_box()["y"]
        assert abs(top_after - top_before) <= 2, (
            f"the row under the pointer moved {top_after - top_before} px"
        )


def sandbox_requests(stack: Stack, shop_ids: list[str]) -> list[dict]:
    found = []
    for shop_id in shop_ids:
        after = "0"
        while after:
            page = stack.sandbox_call("GET", f"/requests?shop_id={shop_id}&after={after}")
            found += page["requests"]
            after = page["next_after"]
    return found


NOT_SYNCED = "orders are not synced for this period"


def see_insights(page: Page, stack: Stack, shop_ids: list[str]) -> None:
    """The figures arrive from the refresh job a few seconds after the last change; then they equal
    what the marketplace holds: every request opened in the last 26 weeks, refunds per currency."""
    page.get_by_role("link", name="Insights", exact=True).click()
    expect(page).to_have_url(re.compile(r"/insights$"))

    def counted() -> bool:
        page.reload()
        freshness = page.locator(".insights-freshness").inner_text()
        orders_synced = NOT_SYNCED not in page.locator("#products").inner_text()  # the order syncs ran
        return "Counted up to" in freshness and "Newer changes" not in freshness and orders_synced

    wait_for(counted, 90, "the insights figures to include every change and the orders", interval=1.0)
    page.get_by_role("link", name="Last 26 weeks").click()  # htmx: the body is swapped, the URL follows
    expect(page).to_have_url(re.compile(r"/insights\?period=26w$"))
    monday = datetime.now(UTC).date() - timedelta(days=datetime.now(UTC).weekday())
    start = datetime.combine(monday - timedelta(weeks=25), datetime.min.time(), UTC).timestamp()
    opened = [r for r in sandbox_requests(stack, shop_ids) if r["create_time"] >= start]
    assert opened
    cards = page.locator(".insights-cards .card")
    expect(cards.nth(0).locator(".card-figure")).to_have_text(f"{len(opened):,}")
    refunded: dict[str, Decimal] = {}
    for r in opened:
        if r["status"] in REFUNDED_STATUSES and r["refund_total"] is not None:
            refunded[r["currency"]] = refunded.get(r["currency"], Decimal("0")) + Decimal(
                str(r["refund_total"])
            )
    for currency, amount in refunded.items():  # one amount per currency, never added together
        expect(cards.nth(1)).to_contain_text(f"{amount.quantize(Decimal('0.01')):,} {currency}")
    expect(page.locator("#products .products-table tbody tr").first).to_be_visible()
    # The shops' orders are synced (connecting a shop started its order sync too): every product has its
    # return rate, requests ÷ units sold, and the page no longer says orders are missing.
    products = page.locator("#products")
    expect(products.locator("thead")).to_contain_text("Return rate")
    expect(products).not_to_contain_text(NOT_SYNCED)
    expect(products.locator("tbody").first).to_contain_text(re.compile(r"\d+\.\d %"))
    shot(page, "insights", height=1400)
    # Keyboard: a period is a link, the grouping a select; both work without a mouse.
    page.get_by_role("link", name="Last 4 weeks").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"period=4w"))
    page.locator("#insights-grain").focus()
    page.keyboard.press("ArrowDown")
    expect(page).to_have_url(re.compile(r"by=month"))
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/insights?period=26w")
    expect(page.locator("#chart-requests")).to_be_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    clip = {"x": 0, "y": 0, "width": 390, "height": 1800}
    page.screenshot(path=str(SCREENSHOTS / "insights-mobile.png"), full_page=True, clip=clip)
    page.set_viewport_size({"width": 1280, "height": 900})


def change_setting(page: Page) -> None:
    page.get_by_role("link", name="Settings", exact=True).click()
    expect(page).to_have_url(re.compile(r"/settings"))
    account = page.locator("#account")
    account.locator("select[name=timezone]").select_option("Europe/London")
    account.get_by_role("button", name="Save timezone and date format").click()
    expect(page.locator("#account [role=status]")).to_be_visible()
    shot(page, "settings")
    page.reload()
    expect(page.locator("#account select[name=timezone]")).to_have_value("Europe/London")


def log_out(page: Page, stack: Stack) -> None:
    page.locator("details.account-menu summary").click()
    page.get_by_role("button", name="Log out", exact=True).click()  # not "Log out other devices"
    expect(page).to_have_url(re.compile(r"/login"))
    expect(page.locator("#flashes")).to_contain_text("logged out")
    page.goto("/returns")
    expect(page).to_have_url(re.compile(r"/login"))


def test_seller_journey(page: Page, stack: Stack, browser, a11y) -> None:
    sign_up(page, a11y)
    a11y.check(page, "(guide)")
    connect_etsy(page, stack)
    shot(page, "guide")
    connect_tiktok(page, stack, a11y)
    connect_us_shop(page, stack)
    shops = shops_of(stack.sandbox_url, SELLER)
    us_shops = shops_of(stack.sandbox_url, US_SELLER)
    assert len(shops) == 2 and len(us_shops) == 1
    shot(page, "guide-two-apps")

    a11y.check(page, "(stores)")

    run_sync(page, stack)
    # Every shop synced, whichever app authorized it: the counts cover all three.
    shop_ids = [s["id"] for s in shops + us_shops]
    expected = expected_tab_counts(sandbox_counts(stack.sandbox_url, shop_ids))
    assert expected["all"] > 0
    opens_on_needs_your_answer(page, waiting_count(stack.sandbox_url, shop_ids), a11y)
    check_every_tab(page, expected)
    a11y.check(page, "(a status tab)")
    back_and_forward(page)
    search_and_filter(page)
    drawer_takes_and_returns_focus(page, a11y)
    see_alerts(page, a11y)

    rejected, rejected_status = respond(page, stack, "Reject", set(), a11y)
    approved, approved_status = respond(page, stack, "Approve", {rejected}, a11y)
    see_in_tab(page, rejected, rejected_status)
    see_in_tab(page, approved, approved_status)
    approve_two_together(page, a11y)

    gb = next(s for s in shops if s["region"] == "GB")
    webhook_changes_open_grid(page, stack, gb["id"])  # signed by the global app
    webhook_changes_open_grid(page, stack, us_shops[0]["id"])  # signed by the US app
    for path in ("/actions", "/sync", "/listings"):  # the pages the grid links to
        page.goto(path)
        a11y.check(page)
    see_insights(page, stack, [s["id"] for s in shops + us_shops])
    a11y.check(page, "(insights)")
    on_a_phone(browser, stack, a11y)
    change_setting(page)
    a11y.check(page, "(settings)")
    log_out(page, stack)
    a11y.check(page, "(log in)")
    # Images and scripts the seller would miss; htmx's empty style attribute (hash of "") is harmless.
    blocked = [e for e in page.console_errors if "violates" in e and "inline style" not in e]
    assert not blocked, "\n".join(blocked)
    # Every page of the product the journey opened was checked by axe-core.
    unchecked = a11y.visited - a11y.audited
    assert not unchecked, f"pages visited but not checked for accessibility: {sorted(unchecked)}"
    assert requests.get(f"{stack.web_url}/healthz", timeout=10).status_code == 200
