"""The webhook job: act on one stored delivery.

- 12 / 11 (return / cancellation status change): re-fetch that one request (the notification carries
  no amounts) and upsert it with source "webhook"; the open grid hears of it through requests_changed.
- 6 (seller deauthorized the app): the shop is marked as needing reconnection (connect feature).
- 7 (authorization expires soon): the seller is warned (connect feature).
- any other type: offered to the features above through ``webhooks.signals.webhook_received``
  (orders, products); the first outcome one of them returns is recorded.
Unknown shops and types are logged and recorded as handled: TikTok must not retry them forever.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from connector_app.connect.clients import tiktok_client_for
from connector_app.connect.models import TikTokShop
from connector_app.connect.services import mark_shop_deauthorized, note_authorization_expiring
from connector_app.dbutil import retry_on_conflict
from connector_app.extensions import db
from connector_app.marketplaces.errors import AuthorizationLost, MarketplaceError
from connector_app.observability.metrics import observe_webhook_processed
from connector_app.returns.services import upsert_requests
from connector_app.returns.signals import notify_requests_changed
from connector_app.tenancy import get_for_seller
from connector_app.transactions import job_step
from connector_app.webhooks.models import WebhookEvent
from connector_app.webhooks.services import record_outcome
from connector_app.webhooks.signals import dispatch

log = logging.getLogger(__name__)

RETURN_STATUS_CHANGE, CANCELLATION_STATUS_CHANGE = 12, 11
DEAUTHORIZATION, AUTHORIZATION_EXPIRING = 6, 7
OWN_TYPES = (RETURN_STATUS_CHANGE, CANCELLATION_STATUS_CHANGE, DEAUTHORIZATION, AUTHORIZATION_EXPIRING)


def _finish(event_id: int, outcome: str, seller_id: int | None = None) -> str:
    with job_step():
        record_outcome(event_id, outcome, seller_id)
        payload = db.session.get(WebhookEvent, event_id).payload
    observe_webhook_processed(payload)
    return outcome


def _refetch(event: WebhookEvent, shop: TikTokShop) -> str:
    data = event.payload.get("data") or {}
    is_return = event.event_type == RETURN_STATUS_CHANGE
    request_id = str(data.get("return_id" if is_return else "cancel_id") or "")
    if not request_id:
        return "ignored: the notification names no request"
    client = tiktok_client_for(shop)
    item = client.get_return(request_id) if is_return else client.get_cancellation(request_id)
    if item is None:
        return f"ignored: {request_id} was not found on TikTok Shop"
    seller_id, shop_pk, event_id = shop.seller_id, shop.id, event.id

    def unit():
        with job_step():
            current = get_for_seller(TikTokShop, seller_id, id=shop_pk)
            result = upsert_requests(current, [item], source="webhook")
            outcome = "updated" if result.created or result.updated else "unchanged"
            record_outcome(event_id, outcome, seller_id)
        return result

    result = retry_on_conflict(unit, describe=f"webhook {event_id}")
    observe_webhook_processed(event.payload)
    notify_requests_changed(seller_id, result.status_changed, "webhook")
    return "updated" if result.created or result.updated else "unchanged"


def _offer(event: WebhookEvent, shop: TikTokShop | None) -> str:
    """A type another feature owns: the first feature that answers it records what it did."""
    event_id, seller_id = event.id, (shop.seller_id if shop is not None else None)
    try:
        outcome = dispatch(event, shop=shop, seller_id=seller_id)
    except AuthorizationLost as exc:
        db.session.rollback()
        return _finish(event_id, f"not processed: {exc.seller_message()}", seller_id)
    except MarketplaceError as exc:
        db.session.rollback()
        if exc.retryable:
            raise
        return _finish(event_id, f"failed: {exc.seller_message()}", seller_id)
    if outcome is None:
        log.info("webhook %s of unhandled type %s: acknowledged", event.notification_id, event.event_type)
        return _finish(event_id, f"ignored: unknown type {event.event_type}", seller_id)
    event = db.session.get(WebhookEvent, event_id)
    if event.processed_at is None:  # the receiver did not record its own outcome
        return _finish(event_id, outcome, event.seller_id or seller_id)
    return outcome


def process_webhook(event_id: int) -> str:
    """The RQ job for one stored delivery. Returns what was done (also stored as the outcome)."""
    event = db.session.get(WebhookEvent, event_id)
    if event is None or event.processed_at is not None:
        return "skipped"
    # The delivery names TikTok's shop id; that (unique) id is how we learn which seller it is for.
    shop = db.session.scalars(select(TikTokShop).where(TikTokShop.shop_id == event.shop_id)).first()
    if event.event_type not in OWN_TYPES:
        return _offer(event, shop)
    if shop is None:
        log.warning("webhook %s for unknown shop %s: acknowledged", event.notification_id, event.shop_id)
        return _finish(event_id, "ignored: unknown shop")
    data = event.payload.get("data") or {}
    try:
        if event.event_type in (RETURN_STATUS_CHANGE, CANCELLATION_STATUS_CHANGE):
            outcome = _refetch(event, shop)
            if outcome.startswith("ignored"):
                return _finish(event_id, outcome, shop.seller_id)
            return outcome
        if event.event_type == DEAUTHORIZATION:
            mark_shop_deauthorized(shop.shop_id, data.get("message") or "The seller deauthorized the app.")
            return _finish(event_id, "shop marked as needing reconnection", shop.seller_id)
        if event.event_type == AUTHORIZATION_EXPIRING:
            expires_at = data.get("expiration_time")
            note_authorization_expiring(shop.shop_id, int(expires_at) if expires_at else None)
            return _finish(event_id, "authorization expiry noted", shop.seller_id)
    except AuthorizationLost as exc:
        db.session.rollback()
        return _finish(event_id, f"not processed: {exc.seller_message()}", shop.seller_id)
    except MarketplaceError as exc:
        db.session.rollback()
        if exc.retryable:
            raise  # RQ retries it later (RETRY_DELAYS); the scheduled sync is the backstop
        return _finish(event_id, f"failed: {exc.seller_message()}", shop.seller_id)
    log.info("webhook %s of unknown type %s: acknowledged", event.notification_id, event.event_type)
    return _finish(event_id, f"ignored: unknown type {event.event_type}", shop.seller_id)
