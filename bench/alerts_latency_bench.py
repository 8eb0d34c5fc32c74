"""Alert latency on the whole product: a request that becomes due soon is in the app within 60 s, and its
email leaves within 2 minutes.

Starts the product with ``devtools.stack.Stack`` (gunicorn, an RQ worker, ``flask cron`` with
``ALERT_SCAN_SECONDS`` = ``--scan-seconds``, the default 30, and the sandbox) with an SMTP server of its
own (aiosmtpd) as ``MAIL_SERVER``, creates a seller whose address is confirmed with a shop, and stores
``--requests`` waiting requests (as a sync stores them) whose 4-hour threshold is crossed at moments
spread over the next two scan periods — nothing tells the app when: only the scheduled scan can notice.
It watches the database for each "4 h left" notification and the SMTP server for the email naming the
request, and prints the time from the crossing to each (goals: ≤ 60 s in the app, ≤ 120 s by email).

``python -m bench.alerts_latency_bench --requests 3`` is a quick run (about two minutes). Exits 1 when a
goal is missed.
"""

from __future__ import annotations

import argparse
import email
import re
import tempfile
import threading
import time
from datetime import UTC, datetime
from decimal import Decimal

from aiosmtpd.controller import Controller
from sqlalchemy import select

from connector_app import create_app
from connector_app.accounts import services as account_services
from connector_app.connect.models import TikTokShop
from connector_app.extensions import db
from connector_app.marketplaces.tiktok.types import AftersaleRequest, LineItem, NextAction, RefundAmount
from connector_app.notifications.models import Notification
from connector_app.returns.models import ReturnRequest
from connector_app.returns.services import ShopKey, upsert_requests
from devtools.stack import Stack, free_port

GOAL_IN_APP, GOAL_EMAIL = 60.0, 120.0
FOUR_HOURS = 4 * 3600
FOUR_HOURS_LEFT = re.compile(r"(?<!\d)4 h left: \S.*? (5768\d+) needs your answer")  # not "24 h left"


class Sink:
    """An SMTP server's DATA handler: when each message arrived, and its plain text."""

    def __init__(self) -> None:
        self.received: list[tuple[float, str]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        message = email.message_from_bytes(envelope.content)
        text = ""
        for part in message.walk():
            if part.get_content_type() == "text/plain":
                text += part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
        with self.lock:
            self.received.append((time.time(), text))
        return "250 OK"


def _request(n: int, deadline: int, now: int) -> AftersaleRequest:
    rid = f"57689{n:013d}"
    return AftersaleRequest(
        request_id=rid, kind="return", order_id=f"57669{n:013d}", request_type="RETURN_AND_REFUND",
        status="RETURN_OR_REFUND_REQUEST_PENDING", arbitration_status=None, role="BUYER",
        reason="ecom_order_delivered_refund_and_return_reason_damaged", reason_text="Damaged",
        create_time=now - 3600, update_time=now, shipment_type="PLATFORM", tracking_number=None,
        provider_name=None, next_actions=(NextAction("SELLER_RESPOND_RETURN", deadline),),
        line_items=(
            LineItem(line_item_id=f"{rid}-1", order_line_item_id=f"{rid}-o", sku_id="s", seller_sku="SKU-1",
                     sku_name="Blue", product_name="Ceramic mug", image_url=None,
                     refund_total=Decimal("25.00"), currency="USD"),
        ),
        refund=RefundAmount(currency="USD", total=Decimal("25.00"), subtotal=Decimal("25.00"),
                            shipping_fee=Decimal("0"), tax=Decimal("0")),
        can_buyer_keep_item=False, raw={},
    )  # fmt: skip


def run(args) -> bool:
    sink = Sink()
    smtp = Controller(sink, hostname="127.0.0.1", port=free_port())
    smtp.start()
    env = {
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp.port),
        "ALERT_SCAN_SECONDS": str(args.scan_seconds),
        "LOG_LEVEL": "WARNING",
    }
    try:
        with (
            tempfile.TemporaryDirectory() as tmp,
            Stack(tmp, web_workers=1, rq_workers=1, sandbox_returns=20, env=env) as stack,
        ):
            app = create_app({"INSTANCE_PATH": str(stack.instance_path), "REDIS_URL": stack.env["REDIS_URL"]})
            with app.app_context():
                seller = account_services.create_seller("latency@bench.example.com", "benchmark password")
                seller.email_verified_at = datetime.now(UTC)
                shop = TikTokShop(seller_id=seller.id, shop_id="749400000000000009", name="Latency Shop",
                                  region="US", cipher="US_latency")  # fmt: skip
                db.session.add(shop)
                db.session.flush()
                start = time.time()
                spread = 2 * args.scan_seconds
                crossings = {
                    f"57689{n:013d}": start + 10 + spread * n / max(1, args.requests - 1)
                    for n in range(args.requests)
                }
                items = [
                    _request(n, int(at) + FOUR_HOURS, int(start)) for n, at in enumerate(crossings.values())
                ]
                upsert_requests(ShopKey(shop.id, seller.id), items)
                db.session.commit()
                pks = dict(db.session.execute(select(ReturnRequest.id, ReturnRequest.request_id)).all())
                seen: dict[str, float] = {}
                mailed: dict[str, float] = {}
                deadline = max(crossings.values()) + GOAL_EMAIL + 60
                while time.time() < deadline and (len(seen) < len(crossings) or len(mailed) < len(crossings)):
                    rows = db.session.execute(
                        select(Notification.subject_id).where(
                            Notification.kind == "deadline_near", Notification.stage == 4
                        )
                    ).scalars()
                    now = time.time()
                    for pk in rows:
                        seen.setdefault(pks[int(pk)], now)
                    db.session.rollback()
                    with sink.lock:
                        for arrived, text in sink.received:
                            for rid in re.findall(FOUR_HOURS_LEFT, text):
                                mailed.setdefault(rid, arrived)
                    time.sleep(0.25)
                db.session.remove()
                db.engine.dispose()
    finally:
        smtp.stop()
    ok = True
    in_app, by_mail = [], []
    for rid, crossed in crossings.items():
        app_s = seen[rid] - crossed if rid in seen else float("inf")
        mail_s = mailed[rid] - crossed if rid in mailed else float("inf")
        in_app.append(app_s)
        by_mail.append(mail_s)
        print(f"  request {rid}: in the app {app_s:.1f} s, email {mail_s:.1f} s after its 4 h threshold")
    print(
        f"due soon → in the app: max {max(in_app):.1f} s (goal ≤ {GOAL_IN_APP:.0f} s); "
        f"→ email received: max {max(by_mail):.1f} s (goal ≤ {GOAL_EMAIL:.0f} s); "
        f"scan every {args.scan_seconds} s, {len(crossings)} requests"
    )
    ok &= max(in_app) <= GOAL_IN_APP and max(by_mail) <= GOAL_EMAIL
    return ok


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m bench.alerts_latency_bench", description=__doc__.split("\n\n")[0]
    )
    p.add_argument("--requests", type=int, default=6, help="requests crossing their threshold, staggered")
    p.add_argument("--scan-seconds", type=int, default=30, help="ALERT_SCAN_SECONDS of the product")
    return p


def main(argv: list[str] | None = None) -> int:
    return 0 if run(parser().parse_args(argv)) else 1


if __name__ == "__main__":
    raise SystemExit(main())
