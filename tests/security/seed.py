"""A seller with one of everything, the route table of the app, and a fingerprint of the database.

Shared by the isolation crawler and the fuzz: seller A's rows are created through the factories and the
features' own models, with identifying strings distinctive enough that finding one in a response to
another seller can only mean a leak.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from flask import Flask
from sqlalchemy import select

from connector_app.accounts.preferences import SellerSettings
from connector_app.actions.models import FINISHED, SUCCEEDED, ActionAudit, BulkAction
from connector_app.extensions import db
from connector_app.insights.summaries import refresh as refresh_insights
from connector_app.listings.models import DONE, EtsyListing, EtsyListingSku, ListingRefresh, RestockRecord
from connector_app.notifications.models import AlertSettings, Delivery, Notification
from connector_app.products.models import (
    EtsyCatalogSku,
    ProductSyncSettings,
    PushRecord,
    TikTokProduct,
    TikTokSku,
)
from connector_app.returns.models import ReturnRequest
from connector_app.sync.models import SUCCEEDED as RUN_SUCCEEDED
from connector_app.sync.models import SyncRun
from connector_app.timeutil import utcnow
from connector_app.webhooks.models import WebhookEvent

# Methods a browser never sends to these routes on purpose; the crawler still tries the ones a rule allows.
SKIPPED_METHODS = {"HEAD", "OPTIONS"}


@dataclass
class SeededSeller:
    """A seller's ids (what another seller could try to guess) and the strings that identify its data."""

    id: int
    email: str
    shop_pk: int
    shop_id: str
    etsy_connection_pk: int
    return_id: str
    cancel_id: str
    run_id: str
    bulk_id: str
    notification_id: int = 0
    order_pk: int = 0
    move_id: int = 0
    shipment_pk: int = 0  # a shipment TikTok did not confirm (a task)
    sku_pk: int = 0  # products: a TikTok SKU, its Etsy SKU and a held push
    etsy_sku_pk: int = 0
    push_pk: int = 0
    needles: list[str] = field(default_factory=list)


def seed_seller(factories, tag: str) -> SeededSeller:
    """Seller ``tag`` with an Etsy connection, a TikTok shop, a return and a cancellation (with status
    history, tab counts and seller turns), a finished sync run, a webhook event, an action audit in a
    bulk job, listings with a SKU, a listings refresh, a restock record, settings, the insights
    summaries of it all, and a notification (emailed) with alert settings."""
    app: Flask = factories.app
    seller = factories.seller(email=f"{tag}.owner@{tag}-secret.example")
    etsy = factories.etsy_connection(seller, shop_name=f"{tag.title()}EtsyAtelier")
    shop = factories.tiktok_shop(seller, name=f"{tag.title()} Lantern Works")
    now = int(utcnow().timestamp())
    ret = factories.aftersale(
        product_name=f"{tag} glazed teapot",
        sku=f"SKU-{tag.upper()}-TEAPOT",
        next_action="SELLER_RESPOND_RETURN",
        deadline=now + 86400,
        create_time=now - 7200,
        update_time=now - 7000,
    )
    cancel = factories.aftersale(
        kind="cancellation",
        request_type="CANCEL",
        status="CANCELLATION_REQUEST_PENDING",
        product_name=f"{tag} linen apron",
        sku=f"SKU-{tag.upper()}-APRON",
        next_action="SELLER_RESPOND_CANCEL",
        deadline=now + 86400,
    )
    factories.returns(shop, [ret, cancel])
    with app.app_context():
        ret_pk = db.session.scalar(select(ReturnRequest.id).where(ReturnRequest.request_id == ret.request_id))
        run_id = f"sync-{tag}-0000000000000001"
        bulk_id = f"bulk{tag}0000000000000001"
        db.session.add_all(
            [
                SyncRun(
                    id=run_id,
                    seller_id=seller.id,
                    tiktok_shop_id=shop.id,
                    kind="full",
                    state=RUN_SUCCEEDED,
                    requests_done=2,
                    total_expected=2,
                    started_at=utcnow() - timedelta(minutes=5),
                    finished_at=utcnow() - timedelta(minutes=4),
                ),
                WebhookEvent(
                    notification_id=f"notif-{tag}-0001",
                    event_type=1,
                    shop_id=shop.shop_id,
                    seller_id=seller.id,
                    payload={"type": 1, "shop_id": shop.shop_id, "data": {"order_id": ret.order_id}},
                    processed_at=utcnow(),
                    outcome="processed",
                ),
                BulkAction(
                    id=bulk_id,
                    seller_id=seller.id,
                    tab="applying",
                    state=FINISHED,
                    total=1,
                    done=1,
                    succeeded=1,
                    actor=seller.email,
                    finished_at=utcnow(),
                ),  # fmt: skip
                SellerSettings(seller_id=seller.id, restock_on_complete=True, default_shop_id=shop.id),
                ListingRefresh(
                    seller_id=seller.id, etsy_connection_id=etsy.id, refreshed_at=utcnow(), listing_count=1
                ),
            ]
        )
        db.session.flush()
        db.session.add(
            ActionAudit(
                seller_id=seller.id, idempotency_key=f"{bulk_id}-{ret_pk}", request_pk=ret_pk,
                request_id=ret.request_id, decision="APPROVE_RETURN", actor=seller.email, state=SUCCEEDED,
                status_before=ret.status, status_after="AWAITING_BUYER_SHIP", bulk_id=bulk_id,
            )
        )  # fmt: skip
        listing = EtsyListing(
            seller_id=seller.id,
            etsy_connection_id=etsy.id,
            listing_id=f"77{seller.id:08d}",
            title=f"{tag.title()} hand-thrown teapot listing",
            quantity=3,
            price=Decimal("48.00"),
            currency="USD",
        )
        listing.skus.append(EtsyListingSku(seller_id=seller.id, sku=f"SKU-{tag.upper()}-TEAPOT", quantity=3))
        db.session.add(listing)
        db.session.add(
            RestockRecord(
                seller_id=seller.id, request_pk=ret_pk, sku=f"SKU-{tag.upper()}-TEAPOT", quantity=1,
                listing_id=listing.listing_id, state=DONE, stock_before=2, stock_target=3,
            )
        )  # fmt: skip
        notification = Notification(
            seller_id=seller.id, kind="deadline_near", subject_type="request", subject_id=str(ret_pk),
            deadline=now + 86400, stage=24, title=f"24 h left: {tag} teapot return {ret.request_id}",
            body=f"{tag} glazed teapot · order {ret.order_id}", link=f"/returns/{ret.request_id}",
        )  # fmt: skip
        db.session.add(notification)
        db.session.add(AlertSettings(seller_id=seller.id, thresholds="24,4", digest_minute=480, channels={}))
        db.session.flush()
        db.session.add(
            Delivery(seller_id=seller.id, notification_id=notification.id, channel="email", state="sent")
        )
        notification_id = notification.id
        product_ids = seed_products(seller.id, shop.id, etsy.id, tag)
        db.session.commit()
        refresh_insights(seller.id)  # the insights page's summaries (products, reasons, turns ...)
        db.session.commit()
        order_pk, move_id, shipment_pk = _seed_order(seller.id, shop.id, tag)
    needles = [
        seller.email,
        etsy.shop_name,
        shop.name,
        shop.shop_id,
        ret.request_id,
        ret.order_id,
        cancel.request_id,
        cancel.order_id,
        f"{tag} glazed teapot",
        f"{tag} linen apron",
        f"SKU-{tag.upper()}-TEAPOT",
        f"{tag.title()} hand-thrown teapot listing",
        run_id,
        bulk_id,
    ]
    return SeededSeller(
        id=seller.id,
        email=seller.email,
        shop_pk=shop.id,
        shop_id=shop.shop_id,
        etsy_connection_pk=etsy.id,
        return_id=ret.request_id,
        cancel_id=cancel.request_id,
        run_id=run_id,
        bulk_id=bulk_id,
        notification_id=notification_id,
        order_pk=order_pk,
        move_id=move_id,
        shipment_pk=shipment_pk,
        sku_pk=product_ids[0],
        etsy_sku_pk=product_ids[1],
        push_pk=product_ids[2],
        needles=needles
        + [
            f"24 h left: {tag} teapot return",
            f"{tag} order tracking TRK-{tag.upper()}",
            f"{tag.title()} TikTok teapot product",
        ],
    )


def _seed_order(seller_id: int, shop_pk: int, tag: str) -> tuple[int, int, int]:
    """A paid TikTok order with a line, an Etsy stock task (a SKU no listing has) and a shipment
    TikTok did not confirm (a task)."""
    from connector_app.orders.models import (
        NO_MATCH,
        SALE,
        SHIP_CHECK,
        Order,
        OrderLine,
        Shipment,
        ShipmentLine,
        StockMove,
    )

    sku = f"SKU-{tag.upper()}-ORDER"
    order = Order(
        seller_id=seller_id,
        shop_pk=shop_pk,
        order_id=f"57{sum(map(ord, tag)):016d}",
        status="AWAITING_SHIPMENT",
        tab="awaiting_shipment",
        fulfillment_type="FULFILLMENT_BY_SELLER",
        is_fbt=False,
        create_time=1_900_000_000,
        update_time=1_900_000_100,
        paid_time=1_900_000_050,
        rts_sla_time=1_900_172_800,
        currency="USD",
        payment={},
        recipient={"name": f"{tag} order buyer"},
        tracking_number=f"{tag} order tracking TRK-{tag.upper()}",
        history=[["AWAITING_SHIPMENT", 1_900_000_100]],
        search_text=f"{tag} order",
        needs_attention=True,
    )
    order.lines = [
        OrderLine(seller_id=seller_id, line_id="1", seller_sku=sku, product_name=f"{tag} order item")
    ]
    db.session.add(order)
    db.session.flush()
    move = StockMove(
        seller_id=seller_id,
        order_pk=order.id,
        sku=sku,
        direction=SALE,
        quantity=1,
        state=NO_MATCH,
        message="task",
    )
    db.session.add(move)
    shipment = Shipment(
        seller_id=seller_id,
        key=f"seed-shipment-{tag}",
        order_pk=order.id,
        method="mark_shipped",
        provider_id="P1",
        provider_name="USPS",
        tracking_number=f"TRK{tag.upper()}1234",
        line_ids=["1"],
        state=SHIP_CHECK,
        actor=f"{tag}@example.com",
    )
    db.session.add(shipment)
    db.session.flush()
    db.session.add(ShipmentLine(seller_id=seller_id, shipment_pk=shipment.id, order_pk=order.id, line_id="1"))
    db.session.commit()
    return order.id, move.id, shipment.id


def seed_products(seller_id: int, shop_pk: int, etsy_pk: int, tag: str) -> tuple[int, int, int]:
    """A TikTok product with one SKU linked to an Etsy SKU, a held price push and the shop's settings."""
    etsy_sku = EtsyCatalogSku(
        seller_id=seller_id, etsy_connection_id=etsy_pk, listing_id=f"77{seller_id:08d}",
        sku=f"SKU-{tag.upper()}-TEAPOT", title=f"{tag.title()} hand-thrown teapot listing",
        price=Decimal("48.00"), currency="USD", quantity=3, listing_updated=1,
    )  # fmt: skip
    product = TikTokProduct(
        seller_id=seller_id, tiktok_shop_id=shop_pk, product_id=f"1731{seller_id:015d}",
        title=f"{tag.title()} TikTok teapot product", status="ACTIVATE", audit_status="APPROVED",
    )  # fmt: skip
    db.session.add_all([etsy_sku, product])
    db.session.flush()
    sku = TikTokSku(
        seller_id=seller_id, tiktok_shop_id=shop_pk, product_pk=product.id, sku_id=f"1729{seller_id:015d}",
        seller_sku=f"SKU-{tag.upper()}-TEAPOT", price=Decimal("20.00"), currency="USD", quantity=9,
        warehouse_stock={"7300": 9}, link_state="linked", etsy_sku_pk=etsy_sku.id, differs=True,
        last_push_state="held",
    )  # fmt: skip
    db.session.add(sku)
    db.session.flush()
    held = PushRecord(
        seller_id=seller_id, sku_pk=sku.id, tiktok_shop_id=shop_pk, product_id=product.product_id,
        sku_id=sku.sku_id, field="price", change_key="1:48.00", before="20.00", target="48.00", state="held",
    )  # fmt: skip
    db.session.add_all([held, ProductSyncSettings(seller_id=seller_id, tiktok_shop_id=shop_pk)])
    db.session.flush()
    return sku.id, etsy_sku.id, held.id


def routes(app: Flask) -> list[tuple[str, str, str]]:
    """Every (endpoint, rule, method) of the app's URL map, static files excepted."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in sorted(rule.methods - SKIPPED_METHODS):
            found.append((rule.endpoint, rule.rule, method))
    return sorted(found)


def fingerprint(app: Flask, seller_id: int | None = None) -> dict[str, list[tuple]]:
    """Every row of every table (only one seller's rows where a table has ``seller_id``), as text."""
    result: dict[str, list[tuple]] = {}
    with app.app_context():
        for table in db.metadata.sorted_tables:
            query = select(table)
            if seller_id is not None:
                if "seller_id" in table.c:
                    query = query.where(table.c.seller_id == seller_id)
                elif table.name == "sellers":
                    query = query.where(table.c.id == seller_id)
                else:
                    continue
            rows = db.session.execute(query).all()
            result[table.name] = sorted(tuple(str(value) for value in row) for row in rows)
        db.session.remove()
    return result
