"""Fixtures of the browser journey: a whole stack on free ports and Debian's Chromium driven by Playwright.

Playwright's own browser download does not work here, so the journey drives ``/usr/bin/chromium``
(installed by ``scripts/ensure-chromium.sh``, which ``make test`` runs). Only when that binary is
missing is the journey skipped, with the reason printed.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from devtools.stack import Stack

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
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


@pytest.fixture
def page(request, browser, stack):
    context = browser.new_context(viewport=VIEWPORT, base_url=stack.web_url)
    context.set_default_timeout(20_000)
    page = context.new_page()
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
