"""``POST /webhooks/tiktok``: verify, store, acknowledge; a job does the rest.

TikTok signs the raw body (``Authorization`` = HMAC-SHA256(app_secret, app_key + body)); there is no
session and no CSRF token, so the route is exempt from CSRF and trusts the signature instead. The
answer is 200 with an empty body, as fast as possible: TikTok gives up after 3 s and retries later.
"""

from __future__ import annotations

import json
import logging
import time

from flask import Response, abort, current_app, request

from connector_app.extensions import csrf
from connector_app.marketplaces.tiktok.signing import verify_webhook
from connector_app.webhooks import bp, services

log = logging.getLogger(__name__)


MAX_TYPE = 2**31 - 1  # WebhookEvent.event_type is a 32-bit column


def _empty(status: int) -> Response:
    return Response(b"", status=status)


def _parse(body: bytes) -> dict | None:
    """The notification, or None when it is not a well-formed one."""
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: absurdly deep nesting
        return None
    if not isinstance(payload, dict):
        return None
    kind, timestamp = payload.get("type"), payload.get("timestamp")
    notification_id = payload.get("tts_notification_id")
    if isinstance(kind, bool) or not isinstance(kind, int) or not 0 <= kind <= MAX_TYPE:
        return None
    if isinstance(timestamp, bool) or not isinstance(timestamp, int):
        return None
    if not isinstance(notification_id, str | int) or not str(notification_id).strip():
        return None
    if not isinstance(payload.get("data", {}), dict):
        return None
    return payload


def _raw_body() -> bytes:
    """The raw bytes, exactly as signed; 413 past MAX_CONTENT_LENGTH, declared or streamed.

    A declared Content-Length over the limit is refused by Werkzeug. A chunked body has no length:
    Werkzeug stops reading it at the limit without saying so, and the truncated body would then
    fail its signature (a misleading 401). A streamed body that fills the limit is refused here.
    """
    body = request.get_data(cache=False)
    limit = request.max_content_length
    if request.content_length is None and limit is not None and len(body) >= limit:
        abort(413)
    return body


@bp.post("/tiktok")
@csrf.exempt
def tiktok() -> Response:
    config = current_app.config
    body = _raw_body()
    signature = request.headers.get("Authorization", "")
    if not verify_webhook(config["TIKTOK_APP_KEY"], config["TIKTOK_APP_SECRET"], body, signature):
        log.warning("webhook with a bad or missing signature from %s", request.remote_addr)
        return _empty(401)
    payload = _parse(body)
    if payload is None:
        log.warning("webhook with a malformed body (%d bytes)", len(body))
        return _empty(400)
    age = abs(time.time() - payload["timestamp"])
    if age > config["WEBHOOK_MAX_AGE_SECONDS"]:
        log.warning("webhook %s is %.0f s old: refused as a replay", payload["tts_notification_id"], age)
        return _empty(400)
    event = services.record_event(payload)  # committed with its job by the request's unit of work
    if event is None:
        log.info("webhook %s delivered again: already stored", payload["tts_notification_id"])
    else:
        services.enqueue_processing(event)
    return _empty(200)
