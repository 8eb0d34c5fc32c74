"""Fixtures of the browser journey: a whole stack on free ports and Debian's Chromium driven by Playwright.

Playwright's own browser download does not work here, so the journey drives ``/usr/bin/chromium``
(installed by ``scripts/ensure-chromium.sh``, which ``make test`` runs). Only when that binary is
missing, and only outside CI (``CI`` not true), is the journey skipped, with the reason printed; in CI a
missing Chromium fails the run.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from devtools.stack import Stack

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
ROOT = Path(__file__).resolve().parents[2]
# axe-core from npm (pinned in package.json, installed by `make install`), injected into every page.
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")
AXE_RUN = """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations.map(v => ({
  id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map(n => n.target.join(" ")),
}))"""
# At rest: no htmx request in flight and no CSS transition or finite animation running (a spinner's
# endless one does not count).
QUIET = """() => !document.querySelector('.htmx-request')
  && document.getAnimations().every(a => a.playState !== 'running'
    || a.effect.getComputedTiming().endTime === Infinity)"""
# How many htmx requests the page has started since the first check (the counter installs itself).
HTMX_REQUESTS = """() => {
  if (window.__htmxRequests === undefined) {
    window.__htmxRequests = 0;
    document.addEventListener('htmx:beforeRequest', () => { window.__htmxRequests += 1; });
  }
  return window.__htmxRequests;
}"""
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 900}


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[Stack]:
    with Stack(
        tmp_path_factory.mktemp("e2e-stack"), web_workers=2, rq_workers=1, sandbox_returns=1200
    ) as running:
        yield running


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        reason = (
            f"Chromium is not installed at {CHROMIUM} and scripts/ensure-chromium.sh could not install it "
            "(needs root and apt); the browser journey cannot run here"
        )
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"CI=true: {reason}", pytrace=False)  # CI must run the journey, never skip it
        print(f"\nSKIP e2e: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=15_000)

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.journey_failed = report.failed
    return report


class Accessibility:
    """axe-core on every page of the product the journey visits (and on the states htmx makes: the
    request dialog, the bulk confirmation): a serious or critical violation fails the journey."""

    def __init__(self, web_url: str) -> None:
        self.web_url = web_url
        self.visited: set[str] = set()
        self.audited: set[str] = set()

    @staticmethod
    def _path(url: str) -> str:
        """The page a URL shows: no query, and one request or store is as good as another."""
        return re.sub(r"/\d{4,}", "/<id>", url.split("?", 1)[0].split("#", 1)[0])

    def visit(self, frame) -> None:
        if frame.parent_frame is None and frame.url.startswith(self.web_url):
            self.visited.add(self._path(frame.url[len(self.web_url) :]) or "/")

    def check(self, page, what: str = "") -> None:
        """Run axe on the page as it is now; fail on serious or critical violations.

        The page is audited at rest: no htmx request in flight (the grid dims while it reloads) and no
        transition running. A live refresh that starts while axe runs makes that run void; it is run
        again (up to three times) — a real violation is there every time."""
        page.wait_for_load_state("load")
        for _attempt in range(3):
            page.wait_for_function(QUIET)
            before = page.evaluate(HTMX_REQUESTS)
            result = page.evaluate(AXE_RUN)
            blocking = [v for v in result if v["impact"] in BLOCKING]
            disturbed = page.evaluate(HTMX_REQUESTS) != before or not page.evaluate(QUIET)
            if not blocking or not disturbed:
                break
        where = f"{page.url} {what}".strip()
        assert not blocking, f"accessibility violations on {where}:\n" + "\n".join(
            f"  {v['impact']}: {v['id']} — {v['help']} at {v['nodes']}" for v in blocking
        )
        self.audited.add(self._path(page.url[len(self.web_url) :]) or "/")


@pytest.fixture
def a11y(stack):
    return Accessibility(stack.web_url)


@pytest.fixture
def page(request, browser, stack, a11y):
    context = browser.new_context(viewport=VIEWPORT, base_url=stack.web_url)
    context.set_default_timeout(20_000)
    context.add_init_script(path=str(AXE))
    page = context.new_page()
    page.on("framenavigated", a11y.visit)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on(
        "console",
        lambda msg: (
            errors.append(f"{msg.text} (at {msg.location.get('url')})") if msg.type == "error" else None
        ),
    )
    page.console_errors = errors
    yield page
    if getattr(request.node, "journey_failed", False):
        failure = stack.root / "failure.png"
        page.screenshot(path=str(failure), full_page=True)
        print(f"\nbrowser at {page.url}; screenshot: {failure}")
        stack.print_logs()
    context.close()
