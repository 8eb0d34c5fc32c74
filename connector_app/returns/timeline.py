"""A request's timeline: TikTok's return records, the status changes the app recorded, and what other
features add (the seller's own decisions, through the ``timeline_entries`` signal).

TikTok's records (returns only: cancellations have no records call) are never fetched on a web request.
The timeline shows what a job stored (``fetched``) and, on a miss or an old entry, queues
``returns.jobs.fetch_return_records``; until the job stored them the timeline says they are loading.
A marketplace or cache failure never breaks the page: the timeline says plainly what could not be loaded.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass

from connector_app import fetched
from connector_app.connect.clients import tiktok_client_for
from connector_app.extensions import db
from connector_app.marketplaces.errors import MarketplaceError
from connector_app.marketplaces.tiktok.types import ReturnRecord
from connector_app.returns.models import KIND_RETURN, ReturnRequest, ReturnStatusChange
from connector_app.returns.signals import timeline_entries
from connector_app.returns.tabs import status_label
from connector_app.tenancy import for_seller, get_for_seller
from connector_app.timeutil import to_unix

log = logging.getLogger(__name__)

RECORDS_FRESH_SECONDS = 60  # older records are shown and fetched again in the background
RECORDS_KEEP_SECONDS = 24 * 3600
RECORDS_ERROR_SECONDS = 30
JOB = "connector_app.returns.jobs.fetch_return_records"


@dataclass(frozen=True)
class TimelineEntry:
    at: int  # unix seconds
    title: str
    detail: str
    actor: str  # Buyer, Seller, TikTok Shop, this app (sync | webhook | action), the seller ...
    source: str  # "marketplace" | "app" | "decision"
    images: tuple[str, ...] = ()


@dataclass
class Timeline:
    entries: list[TimelineEntry]
    note: str | None = None  # shown when TikTok's records could not be loaded
    loading: bool = False  # TikTok's records are being fetched: the page asks again shortly


def _key(request: ReturnRequest) -> str:
    return fetched.key("return-records", request.seller_id, request.tiktok_shop_id, request.request_id)


def stored_records(request: ReturnRequest) -> tuple[list[ReturnRecord], str | None, bool]:
    """``(records, note, loading)`` from what a job stored; queues a fetch when missing or old."""
    if request.kind != KIND_RETURN:
        return [], None, False
    key = _key(request)
    try:
        entry = fetched.read_or_refresh(key, RECORDS_FRESH_SECONDS, JOB, request.seller_id, request.id)
    except fetched.CacheUnavailable:
        log.warning("return records cache unavailable", exc_info=True)
        return [], "TikTok Shop's own history of this request cannot be loaded right now.", False
    if entry is None:
        return [], None, True
    if entry.error:
        return [], entry.error, False
    try:
        records = [ReturnRecord(**{**item, "images": tuple(item["images"])}) for item in entry.value or ()]
    except (TypeError, KeyError):
        return [], None, True  # an entry of an older shape: the queued fetch replaces it
    return records, None, False


def fetch_records(seller_id: int, request_pk: int) -> None:
    """Fetch TikTok's records of one return and store them (runs in a job: background retry policy)."""
    request = get_for_seller(ReturnRequest, seller_id, id=request_pk)
    if request is None or request.kind != KIND_RETURN:
        return
    key = _key(request)
    try:
        records = tiktok_client_for(request.shop).get_return_records(request.request_id)
    except MarketplaceError as exc:
        log.info("return records of %s unavailable: %r", request.request_id, exc)
        message = f"TikTok Shop's own history of this request could not be loaded: {exc.seller_message()}"
        fetched.store_error(key, message, ttl=RECORDS_ERROR_SECONDS)
        return
    fetched.store(key, [asdict(record) for record in records], ttl=RECORDS_KEEP_SECONDS)


def forget_records(sender, *, seller_id: int, request_pks: list[int], source: str, **_) -> None:
    """``requests_changed`` receiver: after the seller's own decision, TikTok's stored records of the
    request are out of date (they lack the decision), so the next look fetches them again."""
    if source != "action":
        return  # syncs and webhooks change many requests nobody is looking at: the records just age out
    rows = db.session.scalars(
        for_seller(ReturnRequest, seller_id).where(
            ReturnRequest.id.in_(request_pks), ReturnRequest.kind == KIND_RETURN
        )
    ).all()
    fetched.forget([_key(row) for row in rows])


_ROLE_NAMES = {"BUYER": "Buyer", "SELLER": "Seller", "OPERATOR": "TikTok Shop", "SYSTEM": "TikTok Shop"}


def _humanize(value: str) -> str:
    return value.replace("_", " ").capitalize() if value else ""


def build_timeline(request: ReturnRequest) -> Timeline:
    """Stored marketplace records, the app's own status changes and other features' entries, newest first."""
    records, note, loading = stored_records(request)
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
        entries.append(
            TimelineEntry(
                at=change.marketplace_time or to_unix(change.recorded_at) or 0,
                title=f"Status: {status_label(change.to_status)}",
                detail=f"was {before}" if before else "first seen by this app",
                actor=f"Recorded by this app ({change.source})",
                source="app",
            )
        )
    for _, contributed in timeline_entries.send(None, request=request):
        entries.extend(contributed or ())
    entries.sort(key=lambda entry: (entry.at, entry.source != "marketplace"), reverse=True)
    return Timeline(entries, note, loading)
