"""TikTok's reject reasons, cached per shop and decision and refreshed by a job, never on a web request.

The reasons depend on the request's kind and stage (the decision: REJECT_REFUND, REJECT_RECEIVED_PACKAGE,
REJECT_CANCELLATION …) and on the market (the shop), so they are cached under the seller's id, the
shop's ids (ours and TikTok's) and the decision's name — never under the seller alone, whose shops
may be in different markets. An entry is served for a day; after an hour it is refreshed in the
background while still being served.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from connector_app import fetched
from connector_app.actions.decisions import DECISIONS_BY_SLUG, Decision
from connector_app.connect.clients import tiktok_client_for
from connector_app.marketplaces.errors import MarketplaceError
from connector_app.marketplaces.tiktok.types import RejectReason
from connector_app.returns.models import ReturnRequest
from connector_app.tenancy import get_for_seller

log = logging.getLogger(__name__)

KEEP_SECONDS = 24 * 3600
FRESH_SECONDS = 3600
ERROR_SECONDS = 30  # a failed fetch is shown this long, then the next look tries again
JOB = "connector_app.actions.jobs.refresh_reject_reasons"


@dataclass
class Reasons:
    items: list[RejectReason] = field(default_factory=list)
    loading: bool = False  # not fetched yet: a job is on its way
    error: str | None = None  # the last fetch failed, or the cache cannot be reached


def _key(request: ReturnRequest, decision: Decision) -> str:
    # The shop by our id and TikTok's: a reconnected shop that reused a row id never inherits reasons.
    shop = request.shop
    return fetched.key("reject-reasons", request.seller_id, shop.id, shop.shop_id, decision.name)


def for_request(request: ReturnRequest, decision: Decision) -> Reasons:
    """The reasons stored for this request's shop and decision; queues a refresh when missing or old."""
    key = _key(request, decision)
    args = (request.seller_id, request.id, decision.name)
    try:
        entry = fetched.read_or_refresh(key, FRESH_SECONDS, JOB, *args)
    except fetched.CacheUnavailable:
        log.warning("reject reasons cache unavailable", exc_info=True)
        return Reasons(error="TikTok's reject reasons cannot be loaded right now. Try again in a minute.")
    if entry is None:
        return Reasons(loading=True)
    if entry.error:
        return Reasons(error=entry.error)
    return Reasons([RejectReason(str(r["name"]), str(r["text"])) for r in entry.value or ()])


def refresh(seller_id: int, request_pk: int, decision_name: str) -> None:
    """Fetch the reasons from TikTok (background retry policy) and store them. Runs in a job."""
    request = get_for_seller(ReturnRequest, seller_id, id=request_pk)
    decision = DECISIONS_BY_SLUG.get(decision_name.lower())
    if request is None or decision is None:
        return
    key = _key(request, decision)
    try:
        reasons = tiktok_client_for(request.shop).get_reject_reasons(request.request_id)
    except MarketplaceError as exc:
        log.info("reject reasons for %s unavailable: %r", request.request_id, exc)
        fetched.store_error(
            key, f"TikTok's reject reasons could not be loaded: {exc.seller_message()}", ttl=ERROR_SECONDS
        )
        return
    fetched.store(key, [{"name": r.name, "text": r.text} for r in reasons], ttl=KEEP_SECONDS)
