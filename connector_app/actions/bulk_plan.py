"""What a bulk decision will do, shown before anything is sent: each selected request with the decision
it gets (or why it is left out), the refunds per currency, and — for a bulk rejection — TikTok's reject
reasons that are valid for every selected request.

Reject reasons depend on the shop's market and the request's stage (the decision), so a bulk rejection
offers only the reasons common to every (shop, decision) pair in the selection; they come from the
cache a job fills (``reasons``), never from TikTok on the web request.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from connector_app.actions import queries, reasons
from connector_app.actions.decisions import APPROVE, REJECT, Decision, allowed_decisions, ships_to_keep
from connector_app.marketplaces.tiktok.types import RejectReason
from connector_app.returns.models import ReturnRequest

VERBS = (APPROVE, REJECT)


@dataclass
class Line:
    request: ReturnRequest
    decision: Decision | None
    why_not: str | None = None


@dataclass
class BulkPlan:
    verb: str
    lines: list[Line]
    reasons: list[RejectReason] = field(default_factory=list)
    reasons_loading: bool = False
    reasons_error: str | None = None

    @property
    def included(self) -> list[Line]:
        return [line for line in self.lines if line.decision is not None]

    @property
    def left_out(self) -> list[Line]:
        return [line for line in self.lines if line.decision is None]

    @property
    def totals(self) -> list[tuple[str, Decimal]]:
        """The refunds of the included requests, per currency (never added across currencies)."""
        sums: dict[str, Decimal] = defaultdict(Decimal)
        for line in self.included:
            if line.request.refund_total is not None:
                sums[line.request.currency or ""] += Decimal(str(line.request.refund_total))
        return sorted((currency, amount.quantize(Decimal("0.01"))) for currency, amount in sums.items())

    @property
    def reason_names(self) -> set[str]:
        return {reason.name for reason in self.reasons}


def _decide(request: ReturnRequest, verb: str) -> Line:
    shop = request.shop
    if shop is None or not shop.is_connected:
        return Line(request, None, "Its shop is disconnected: reconnect it to answer its requests here.")
    offered = [d for d in allowed_decisions(request) if d.verb == verb]
    if offered:
        return Line(request, offered[0])
    if not request.needs_action:
        return Line(request, None, "TikTok is not waiting for your answer on this request.")
    if verb == REJECT and ships_to_keep(request.next_action, shop.region):
        return Line(request, None, "US shops reject a cancellation by shipping the order, not here.")
    return Line(request, None, f"TikTok offers no way to {verb} this request at its current step.")


def plan(seller_id: int, verb: str, request_ids: list[str]) -> BulkPlan:
    """The confirmation of ``verb`` (approve | reject) for the seller's ``request_ids`` (in that order).
    Raises ``LookupError`` for an id that is not one of the seller's requests (never say which)."""
    wanted = list(dict.fromkeys(request_ids))
    rows = {row.request_id: row for row in queries.requests_with_shops(seller_id, wanted)}
    if len(rows) != len(wanted):
        raise LookupError("not the seller's requests")
    result = BulkPlan(verb, [_decide(rows[rid], verb) for rid in wanted])
    if verb == REJECT and result.included:
        _common_reasons(result)
    return result


def _common_reasons(result: BulkPlan) -> None:
    """TikTok's reasons valid for every (shop, decision) pair of the included requests."""
    firsts: dict[tuple[int, str], Line] = {}
    for line in result.included:
        firsts.setdefault((line.request.tiktok_shop_id, line.decision.name), line)
    common: list[RejectReason] | None = None
    for line in firsts.values():
        found = reasons.for_request(line.request, line.decision)
        if found.loading:
            result.reasons_loading = True
            continue
        if found.error:
            result.reasons_error = found.error
            continue
        if common is None:
            common = list(found.items)
        else:
            names = {reason.name for reason in found.items}
            common = [reason for reason in common if reason.name in names]
    if not (result.reasons_loading or result.reasons_error):
        result.reasons = common or []
