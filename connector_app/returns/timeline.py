"""A request's timeline: TikTok's return records merged with the status changes the app recorded.

TikTok's records are fetched live (returns only: cancellations have no records call) and cached in
Redis for a short time, so opening the same drawer twice does not call the marketplace twice. A
marketplace or cache failure never breaks the page: the timeline says plainly what could not be loaded.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass

from redis.exceptions import RedisError

from connector_app.connect.clients import tiktok_client_for
from connector_app.extensions import db, rq
from connector_app.marketplaces.errors import MarketplaceError
from connector_app.marketplaces.policy import INTERACTIVE
from connector_app.marketplaces.tiktok.types import ReturnRecord
from connector_app.returns.models import KIND_RETURN, ReturnRequest, ReturnStatusChange
from connector_app.returns.tabs import status_label
from connector_app.tenancy import for_seller
from connector_app.timeutil import to_unix

log = logging.getLogger(__name__)

RECORDS_TTL_SECONDS = 60


@dataclass(frozen=True)
class TimelineEntry:
    at: int  # unix seconds
    title: str
    detail: str
    actor: str  # Buyer, Seller, TikTok Shop, this app (sync | webhook | action) ...
    source: str  # "marketplace" | "app"
    images: tuple[str, ...] = ()


@dataclass
class Timeline:
    entries: list[TimelineEntry]
    note: str | None = None  # shown when TikTok's records could not be loaded


def _cache_key(request: ReturnRequest) -> str:
    return f"connector:return-records:{request.seller_id}:{request.tiktok_shop_id}:{request.request_id}"


def _cached_records(key: str) -> list[ReturnRecord] | None:
    try:
        raw = rq.connection.get(key)
    except RedisError:
        log.warning("return records cache unavailable", exc_info=True)
        return None
    if raw is None:
        return None
    try:
        return [ReturnRecord(**{**item, "images": tuple(item["images"])}) for item in json.loads(raw)]
    except (ValueError, TypeError, KeyError):
        return None


def _store_records(key: str, records: list[ReturnRecord]) -> None:
    try:
        rq.connection.set(key, json.dumps([asdict(r) for r in records]), ex=RECORDS_TTL_SECONDS)
    except RedisError:
        log.warning("return records cache unavailable", exc_info=True)


def marketplace_records(request: ReturnRequest) -> tuple[list[ReturnRecord], str | None]:
    """TikTok's records of a return (cached), and a note for the seller if they could not be loaded."""
    if request.kind != KIND_RETURN:
        return [], None
    key = _cache_key(request)
    cached = _cached_records(key)
    if cached is not None:
        return cached, None
    try:
        client = tiktok_client_for(request.shop, INTERACTIVE)
        records = client.get_return_records(request.request_id)
    except MarketplaceError as exc:
        log.info("return records of %s unavailable: %r", request.request_id, exc)
        return [], f"TikTok Shop's own history of this request could not be loaded: {exc.seller_message()}"
    _store_records(key, records)
    return records, None


_ROLE_NAMES = {"BUYER": "Buyer", "SELLER": "Seller", "OPERATOR": "TikTok Shop", "SYSTEM": "TikTok Shop"}


def _humanize(value: str) -> str:
    return value.replace("_", " ").capitalize() if value else ""


def build_timeline(request: ReturnRequest) -> Timeline:
    """Marketplace records and the app's own status changes, newest first."""
    records, note = marketplace_records(request)
    entries = [
        TimelineEntry(
            at=record.create_time,
            title=record.description or _humanize(record.event),
            detail=" — ".join(part for part in (record.reason_text, record.note) if part),
            actor=_ROLE_NAMES.get(record.role, _humanize(record.role) or "TikTok Shop"),
            source="marketplace",
            images=record.images,
        )
        for record in records
    ]
    changes = db.session.scalars(
        for_seller(ReturnStatusChange, request.seller_id)
        .where(ReturnStatusChange.request_pk == request.id)
        .order_by(ReturnStatusChange.id)
    )
    for change in changes:
        before = status_label(change.from_status) if change.from_status else None
        title = f"Status: {status_label(change.to_status)}"
        entries.append(
            TimelineEntry(
                at=change.marketplace_time or to_unix(change.recorded_at) or 0,
                title=title,
                detail=f"was {before}" if before else "first seen by this app",
                actor=f"Recorded by this app ({change.source})",
                source="app",
            )
        )
    entries.sort(key=lambda entry: (entry.at, entry.source == "app"), reverse=True)
    return Timeline(entries, note)
