"""``POST /webhooks/tiktok`` under abuse, beyond tests/webhooks (which covers bad signatures, stale
timestamps, simple broken JSON, an oversized body and a plain duplicate).

Here: signatures that are well-formed but wrong, bodies that are signed but hostile (invalid UTF-8,
nesting deep enough to break a recursive parser, wrong types), a streamed body past the size limit, a
replayed notification id carrying different data, a timestamp from the future, and other content types.
Every refused delivery leaves the database and the queue exactly as they were.
"""

from __future__ import annotations

import io
import json
import time

import pytest

from connector_app.extensions import db, rq
from connector_app.marketplaces.tiktok.signing import webhook_signature
from connector_app.webhooks.models import WebhookEvent
from tests.security.seed import fingerprint, seed_seller


def _payload(**overrides) -> dict:
    body = {
        "type": 1,
        "tts_notification_id": "abuse-0001",
        "shop_id": "7494000000000000009",
        "timestamp": int(time.time()),
        "data": {"order_id": "576600000000000001", "order_status": "CANCELLED"},
    }
    body.update(overrides)
    return body


def _raw(body: dict) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()


def _sign(app, raw: bytes, secret: str | None = None) -> str:
    return webhook_signature(app.config["TIKTOK_APP_KEY"], secret or app.config["TIKTOK_APP_SECRET"], raw)


def _post(client, raw: bytes, signature: str | None, content_type: str = "application/json"):
    headers = {"content-type": content_type}
    if signature is not None:
        headers["Authorization"] = signature
    return client.post("/webhooks/tiktok", data=raw, headers=headers)


def _state(app) -> tuple[dict, int]:
    with app.app_context():
        queued = rq.queue.count
    return fingerprint(app), queued


@pytest.fixture
def before(app, factories):
    seed_seller(factories, "hook")  # a seller with data: refused deliveries must not touch it
    return _state(app)


@pytest.mark.parametrize(
    "signature",
    [
        None,  # no Authorization header at all
        "other-app-secret",  # signed, but with someone else's secret
        "other-body",  # a genuine signature of a different delivery
        "  ",
        "é" * 64,  # not even ASCII
        "x" * 10_000,
    ],
)
def test_wrong_signatures_are_refused_and_change_nothing(app, client, before, signature):
    raw = _raw(_payload())
    header = {
        "other-app-secret": _sign(app, raw, secret="not-our-secret"),
        "other-body": _sign(app, _raw(_payload(tts_notification_id="abuse-other"))),
    }.get(signature, signature)
    assert _post(client, raw, header).status_code == 401
    assert _state(app) == before


SIGNED_BUT_BROKEN = [
    b"\xff\xfe\x00{garbage",  # not UTF-8
    b"[" * 100_000 + b"]" * 100_000,  # nesting deep enough to exhaust a recursive parser
    b'{"type":1,"tts_notification_id":"n","timestamp":NaN,"data":{}}',
    b'{"type":true,"tts_notification_id":"n","timestamp":1,"data":{}}',
    _raw(_payload(tts_notification_id="   ")),
    _raw(_payload(tts_notification_id=None)),
    _raw(_payload(data=["not", "an", "object"])),
    _raw(_payload(timestamp=str(int(time.time())))),
    _raw(_payload(timestamp=10**30)),
    _raw(_payload(type=10**30)),
]


@pytest.mark.parametrize("raw", SIGNED_BUT_BROKEN, ids=lambda raw: raw[:24].decode(errors="replace"))
def test_signed_but_malformed_bodies_are_400_and_change_nothing(app, client, before, raw):
    assert _post(client, raw, _sign(app, raw)).status_code == 400
    assert _state(app) == before


@pytest.mark.parametrize("skew", [+1, -1])
def test_timestamps_outside_the_window_either_way_are_refused(app, client, before, skew):
    raw = _raw(_payload(timestamp=int(time.time()) + skew * (app.config["WEBHOOK_MAX_AGE_SECONDS"] + 120)))
    assert _post(client, raw, _sign(app, raw)).status_code == 400
    assert _state(app) == before


def test_streamed_body_past_the_limit_is_refused_without_being_stored(app, client, before):
    """A chunked upload past the limit is a 413 like a declared Content-Length past it (Werkzeug alone
    would stop reading at the limit and the truncated body would fail its signature: a 401)."""
    raw = _raw(_payload(padding="x" * (app.config["MAX_CONTENT_LENGTH"] + 1)))
    response = client.post(
        "/webhooks/tiktok",
        input_stream=io.BytesIO(raw),
        headers={"Authorization": _sign(app, raw), "content-type": "application/json",
                 "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},  # what gunicorn says of a chunked body
    )  # fmt: skip
    assert response.status_code == 413
    assert _state(app) == before


def test_streamed_body_within_the_limit_is_accepted(app, client):
    raw = _raw(_payload())
    response = client.post(
        "/webhooks/tiktok",
        input_stream=io.BytesIO(raw),
        headers={"Authorization": _sign(app, raw), "content-type": "application/json",
                 "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )  # fmt: skip
    assert response.status_code == 200


def test_replayed_notification_id_with_other_data_is_ignored(app, client, before):
    first = _raw(_payload())
    assert _post(client, first, _sign(app, first)).status_code == 200
    stored = _state(app)
    replay = _raw(_payload(timestamp=int(time.time()) + 5, data={"order_id": "1", "order_status": "X"}))
    assert _post(client, replay, _sign(app, replay)).status_code == 200  # acknowledged: TikTok stops
    assert _state(app) == stored
    with app.app_context():
        query = db.select(WebhookEvent).where(WebhookEvent.notification_id == "abuse-0001")
        (event,) = db.session.scalars(query).all()
        assert event.payload["data"]["order_status"] == "CANCELLED"


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]
)
def test_unsigned_bodies_of_any_content_type_are_refused(app, client, before, content_type):
    assert _post(client, b"type=1&tts_notification_id=x&timestamp=1", None, content_type).status_code == 401
    assert _state(app) == before


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", ""])
def test_the_signature_not_the_content_type_decides(app, client, before, content_type):
    """A genuinely signed delivery is the raw bytes TikTok signed, whatever header came with it: the
    form parser must not consume it (it would then fail the signature) and it is stored once."""
    raw = _raw(_payload(tts_notification_id=f"ct-{content_type or 'none'}"))
    assert _post(client, raw, _sign(app, raw), content_type).status_code == 200
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(WebhookEvent)) == 2  # + the seed's
        assert rq.queue.count == before[1] + 1


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_other_methods_are_405(app, client, before, method):
    assert client.open("/webhooks/tiktok", method=method).status_code == 405
    assert _state(app) == before
