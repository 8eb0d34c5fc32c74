"""Scale-out run: the seller journey over HTTP against the production setup on this machine.

    .venv/bin/python scripts/scaleout_journey.py [--database-url URL] [--redis-url URL]

Starts gunicorn (3 processes), two RQ workers, ``flask cron`` and the sandbox marketplace with
DATABASE_URL = a scratch PostgreSQL database (created, then dropped) and REDIS_URL = a Redis database of
its own, then walks the journey like a browser (sessions, CSRF tokens read from the pages): sign up,
connect Etsy and two TikTok shops through the sandbox's consent forms, Sync Returns, every tab's count
equals the marketplace's, reject one request and approve another, a TikTok webhook changes a row. It
proves that DATABASE_URL, REDIS_URL and more processes are all a deployment needs. Exit status 1 on
any failure (with the processes' logs).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "scripts")]

import redis  # noqa: E402
from browserless import Browserless  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from connector_app.returns.tabs import TABS, tab_for_status  # noqa: E402
from devtools.stack import Stack, wait_for  # noqa: E402
from tests.e2e.marketplace import expected_tab_counts, sandbox_counts, sandbox_request, shops_of  # noqa: E402

SELLER, ETSY_USER, REGION = "Lindenhof Atelier", "lindenhofatelier", "GB"
DEFAULT_DATABASE = "postgresql://postgres@127.0.0.1:5432/connector_scaleout"
DEFAULT_REDIS = "redis://127.0.0.1:6379/14"


def step(message: str) -> None:
    print(f"  ✓ {message}", flush=True)


def scratch_database(url: str, *, drop_only: bool = False) -> None:
    target = make_url(url.replace("postgresql://", "postgresql+psycopg://", 1))
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
        if not drop_only:
            conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


def sign_up_and_connect(web: Browserless, stack: Stack) -> list[dict]:
    web.get("/signup")
    web.submit(web.form("csrf_token"), email="ops@lindenhof.example", password="x" * 12, confirm="x" * 12)
    assert web.url.endswith("/connect"), web.url
    step("signed up (CSRF token read from the sign-up form)")

    web.get("/connect/etsy")  # → the sandbox's Etsy consent page
    consent = web.form("Grant access")
    user = next(v for v, label in consent.choices["user"] if ETSY_USER in label)
    web.submit(consent, "Grant access", user=user)
    assert web.url.endswith("/connect") and "Connected as" in web.html, web.url
    step("connected Etsy through the sandbox's consent form (PKCE)")

    web.get("/connect/tiktok", region=REGION)  # → the sandbox's TikTok consent page
    consent = web.form("Approve")
    seller = next(v for v, label in consent.choices["seller"] if label.startswith(SELLER))
    web.submit(consent, "Approve", seller=seller)
    choose = web.form("Connect the chosen shops")
    web.submit(choose, "Connect the chosen shops", shops=[v for v, _label in choose.choices["shops"]])
    shops = shops_of(stack.sandbox_url, SELLER)
    assert web.html.count("Connected as") >= 3, "both TikTok shops should be listed as connected"
    step(f"connected TikTok Shop: {', '.join(s['name'] for s in shops)} (one authorization, two shops)")
    return shops


def sync(web: Browserless) -> None:
    web.get("/returns")
    web.submit(web.form("Sync Returns"), "Sync Returns")  # → back on /returns with the runs' progress
    runs = sorted(set(re.findall(r'data-run="(\w+)"', web.html)))
    assert runs, "Sync Returns showed no run"
    started, seen = time.monotonic(), set()

    def finished() -> bool:
        html = web.get("/sync/progress", run=runs).text
        seen.update(int(p) for p in re.findall(r'aria-valuenow="(\d+)"', html))
        return 'class="sync-bar"' not in html

    wait_for(finished, 120, "the sync runs to finish")
    summaries = [s.strip() for s in re.findall(r'class="sync-summary"[^>]*>([^<]+)<', web.html)]
    assert len(summaries) == len(runs) and not any("stopped" in s for s in summaries), summaries
    took = time.monotonic() - started
    step(f"Sync Returns: {len(runs)} runs done in {took:.1f}s (progress seen: {sorted(seen)}); {summaries}")


def tab_counts(web: Browserless) -> dict[str, int]:
    """The nine status tabs' counts ("Needs your answer" is not one of TikTok's statuses)."""
    found = re.findall(r'id="tab-count-(\w+)">([\d,]+)<', web.get("/returns", tab="all").text)
    return {key: int(value.replace(",", "")) for key, value in found if key != "needs"}


def respond(web: Browserless, stack: Stack, shops: list[dict], verb: str, skip: set[str]) -> str:
    web.get("/returns", tab="applying", action="1")
    for request_id in re.findall(r'class="request-link"[^>]*>(\d+)<', web.html):
        if request_id in skip:
            continue
        detail = web.get(f"/returns/{request_id}").text
        slugs = re.findall(rf'href="/actions/{request_id}/({verb}_\w+)"', detail)
        if slugs:
            break
    else:
        raise AssertionError(f"no request waiting for the seller offers {verb}")
    # A reject's reasons are fetched by a job: the form says they are loading until a worker did it.
    wait_for(
        lambda: "Yes, " in web.get(f"/actions/{request_id}/{slugs[0]}").text,
        60,
        f"the {verb} confirmation of {request_id}",
        interval=0.5,
    )
    form = web.form("Yes, ")
    values = {"comment": "Checked by the scale-out run."} if verb == "reject" else {}
    if "reject_reason" in form.choices:
        values["reject_reason"] = form.choices["reject_reason"][0][0]
    web.submit(form, "Yes, ", **values)
    shop_id = next(s["id"] for s in shops if _has(stack, s["id"], request_id))
    status = wait_for(
        lambda: _status_if_moved(stack, shop_id, request_id),
        60,
        f"TikTok to record the {verb} of {request_id}",
    )
    expect_row(web, request_id, status)
    step(f"{verb} {request_id}: now {status} in tab {tab_for_status(status)!r}, gone from 'applying'")
    return request_id


def _has(stack: Stack, shop_id: str, request_id: str) -> bool:
    try:
        sandbox_request(stack.sandbox_url, shop_id, request_id)
    except LookupError:
        return False
    return True


def _status_if_moved(stack: Stack, shop_id: str, request_id: str) -> str | None:
    status = sandbox_request(stack.sandbox_url, shop_id, request_id)["status"]
    return status if tab_for_status(status) != "applying" else None


def row_status(web: Browserless, request_id: str, tab: str) -> str | None:
    html = web.get("/returns", tab=tab, q=request_id).text
    match = re.search(r'<tbody>.*?class="badge [^"]*" data-status="([A-Z_]+)"', html, re.S)
    return match.group(1) if match and f">{request_id}<" in html else None


def expect_row(web: Browserless, request_id: str, status: str) -> None:
    wait_for(lambda: row_status(web, request_id, tab_for_status(status)) == status, 30, f"{request_id} shown")
    assert row_status(web, request_id, "applying") is None, f"{request_id} is still under Aftersale Applying"


def webhook(web: Browserless, stack: Stack, shop_id: str) -> None:
    changed = stack.sandbox_call("POST", "/advance", json={"count": 1, "shop_id": shop_id})["changed"][0]
    wait_for(lambda: row_status(web, changed["id"], "all") == changed["status"], 60, "the webhook's change")
    deliveries = stack.sandbox_call("GET", "/webhooks")["deliveries"]
    delivered = [
        d for d in deliveries if d["state"] == "delivered" and changed["id"] in json.dumps(d["body"])
    ]
    assert delivered, f"the sandbox delivered no webhook about {changed['id']}: {deliveries[:3]}"
    step(f"webhook delivered (HTTP {delivered[0]['last_status']}); {changed['id']} now {changed['status']}")


def journey(stack: Stack) -> None:
    health = stack_health(stack)
    step(
        f"healthz: database {health['database']['backend']}, redis {health['redis']['backend']}, "
        f"{len(health['workers'])} RQ workers alive, {stack.web_workers} gunicorn processes"
    )
    web = Browserless(stack.web_url)
    shops = sign_up_and_connect(web, stack)
    sync(web)
    expected = expected_tab_counts(sandbox_counts(stack.sandbox_url, [s["id"] for s in shops]))
    shown = tab_counts(web)
    assert shown == expected, f"tab counts {shown} differ from the marketplace's {expected}"
    step("every tab's count equals the marketplace's: " + ", ".join(f"{t.key} {shown[t.key]}" for t in TABS))
    rejected = respond(web, stack, shops, "reject", set())
    respond(web, stack, shops, "approve", {rejected})
    webhook(web, stack, shops[0]["id"])
    jobs = {f"worker-{i}": stack.log(f"worker-{i}").count("Job OK") for i in range(stack.rq_workers)}
    step(f"jobs run per RQ worker: {jobs}")


def stack_health(stack: Stack) -> dict:
    import requests

    health = requests.get(f"{stack.web_url}/healthz", timeout=10).json()  # from loopback: with details
    assert health["status"] == "ok", health
    assert health["database"]["backend"] == "postgresql", health
    assert health["redis"]["backend"] == "redis", health
    workers = stack.status()["workers"]
    assert len(workers) == stack.rq_workers, workers
    return {**health, "workers": workers}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_DATABASE, help="scratch database (dropped after)")
    parser.add_argument("--redis-url", default=DEFAULT_REDIS, help="a Redis database of its own (flushed)")
    args = parser.parse_args()
    queue = redis.Redis.from_url(args.redis_url)
    started = time.monotonic()
    print(f"scale-out run: gunicorn ×3, 2 RQ workers, cron, {args.database_url}, {args.redis_url}")
    scratch_database(args.database_url)
    queue.flushdb()
    try:
        with (
            tempfile.TemporaryDirectory(prefix="scaleout-") as tmp,
            Stack(
                tmp,
                database_url=args.database_url,
                redis_url=args.redis_url,
                web_workers=3,
                rq_workers=2,
                sandbox_returns=1200,
            ) as stack,
        ):
            journey(stack)
    except Exception as exc:  # noqa: BLE001 - any failure is reported and fails the run
        print(f"FAILED: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    finally:
        queue.flushdb()
        scratch_database(args.database_url, drop_only=True)
    took = time.monotonic() - started
    print(f"scale-out run passed in {took:.0f}s: DATABASE_URL, REDIS_URL and more processes are all")
    print("the product needs to run as several web processes and RQ workers on real servers.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
