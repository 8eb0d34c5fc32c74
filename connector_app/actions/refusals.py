"""TikTok's refusals of a decision, in words a seller understands.

The client classifies TikTok's documented refusal codes (``DecisionRefused.reason``); this module says
what each means for the seller. TikTok's own message goes to the log, never to the page.
"""

from __future__ import annotations

import logging

from connector_app.actions.decisions import Decision
from connector_app.marketplaces import errors
from connector_app.marketplaces.errors import DecisionRefused, RequestRefused
from connector_app.returns.models import ReturnRequest

log = logging.getLogger(__name__)

SHIP_TO_KEEP = (
    "US shops cannot reject a buyer's cancellation through TikTok: ship the order to keep it — shipping "
    "it rejects the cancellation."
)
_SENTENCES = {
    errors.WITH_PLATFORM: (
        "TikTok's platform team has taken this case over (the buyer appealed), so TikTok decides it now."
    ),
    errors.STATUS_MOVED_ON: (
        "The request has moved on since this page was loaded, so TikTok no longer takes this decision."
    ),
    errors.CANNOT_APPROVE_RECEIPT: (
        "TikTok cannot record the returned package as received: it has not been delivered back to you yet."
    ),
    errors.ALREADY_CANCELLED: "The request was already cancelled (usually the buyer withdrew it).",
    errors.ALREADY_APPROVED: (
        "The request was already approved (by you, or automatically after the deadline), so it can no "
        "longer be rejected."
    ),
    errors.ALREADY_HANDLED: (
        "TikTok is no longer waiting for your answer on this request: it was already handled "
        "(by you, automatically after the deadline, or by TikTok's platform team)."
    ),
    errors.WRONG_DECISION: (
        "TikTok does not accept this decision at the request's current stage: the request has moved on "
        "since this page was loaded."
    ),
    errors.REASON_OFFLINE: (
        "TikTok no longer offers the reason you chose for this request; choose one of the current reasons."
    ),
    errors.NOT_ALLOWED: "TikTok does not allow this decision on this request at the moment.",
    errors.NOT_FOR_US_SHOPS: SHIP_TO_KEEP,
}


def explain_refusal(exc: RequestRefused, request: ReturnRequest, decision: Decision) -> str:
    """The sentence shown for TikTok's refusal of ``decision`` on ``request``."""
    log.info(
        "TikTok refused %s on %s: code %s, %r (request id %s)",
        decision.name,
        request.request_id,
        exc.code,
        exc.message,
        exc.request_id,
    )
    shop = request.shop
    if decision.name == "REJECT_CANCELLATION" and shop is not None and shop.region == "US":
        return SHIP_TO_KEEP
    if isinstance(exc, DecisionRefused):
        return _SENTENCES.get(exc.reason, _SENTENCES[errors.NOT_ALLOWED])
    return "TikTok did not accept this decision for this request."
