"""Etsy's ``ORDER_PAID`` webhook (the one Etsy has): an Etsy sale changed stock, so the catalog of the
seller's shops that follow Etsy is checked at once instead of at the next scheduled check.

Public (Etsy calls it) and CSRF-exempt: the signature is the credential. Signed as Etsy's webhooks
are described (``webhook-id``, ``webhook-timestamp``, ``webhook-signature``: base64 HMAC-SHA256 of
``id.timestamp.body`` with the base64 key after ``whsec_``; reference §4, third-party description).
The flat payload names ``shop_id`` (a number or a string). Starting a run is idempotent (one active
run per shop and subject), so a delivery Etsy repeats changes nothing more.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import time

from flask import Response, current_app, request
from sqlalchemy import select

from connector_app.connect.models import CONNECTED, EtsyConnection, TikTokShop
from connector_app.extensions import csrf, db
from connector_app.products import bp, jobs
from connector_app.products import models as m
from connector_app.sync.services import SyncUnavailable
from connector_app.tenancy import for_seller

log = logging.getLogger(__name__)
MAX_AGE = 300


def signature_of(secret: str, webhook_id: str, timestamp: str, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = webhook_id.encode() + b"." + timestamp.encode() + b"." + body
    return base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def _verified(body: bytes) -> bool:
    secret = current_app.config.get("ETSY_WEBHOOK_SECRET")
    webhook_id = request.headers.get("webhook-id", "")
    stamp = request.headers.get("webhook-timestamp", "")
    given = request.headers.get("webhook-signature", "")
    if not secret or not webhook_id or not stamp.isascii() or not stamp.isdigit() or len(stamp) > 12:
        return False
    if abs(time.time() - int(stamp)) > MAX_AGE:
        return False
    try:
        expected = signature_of(secret, webhook_id, stamp, body)
    except (binascii.Error, ValueError):
        log.error("ETSY_WEBHOOK_SECRET is not a whsec_ base64 key")
        return False
    # The header may carry several space-separated "v1,<sig>" values (key rotation).
    return any(hmac.compare_digest(part.split(",", 1)[-1], expected) for part in given.split())


@bp.post("/webhooks/etsy")
@csrf.exempt
def etsy_webhook() -> Response:
    body = request.get_data(cache=False)
    if not _verified(body):
        return Response(status=401)
    try:
        payload = json.loads(body)
        shop_id = str(payload["shop_id"]) if isinstance(payload, dict) else ""
    except (ValueError, KeyError, TypeError):
        return Response(status=400)
    if not shop_id.isascii() or not shop_id.isdigit() or len(shop_id) > 20:
        return Response(status=400)
    connection = db.session.scalars(
        select(EtsyConnection).where(
            EtsyConnection.etsy_shop_id == shop_id, EtsyConnection.status == CONNECTED
        )
    ).first()
    if connection is None:
        return Response(status=200)  # not ours (any more): acknowledged, nothing to do
    started = 0
    for settings in db.session.scalars(for_seller(m.ProductSyncSettings, connection.seller_id)):
        shop = db.session.get(TikTokShop, settings.tiktok_shop_id)
        if (
            shop is None
            or shop.seller_id != connection.seller_id
            or not shop.is_connected
            or not settings.anything_on
        ):
            continue
        try:
            jobs.start_catalog_sync(shop, "etsy_order")
            started += 1
        except SyncUnavailable as exc:
            log.error("Etsy order webhook: catalog sync of shop %s not started: %s", shop.id, exc)
    log.info("Etsy %s for shop %s: %d catalog run(s) started", payload.get("event_type"), shop_id, started)
    return Response(status=200)
