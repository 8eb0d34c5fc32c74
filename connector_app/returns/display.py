"""How a request reads to a seller: labels, badge styles and deadline urgency, for pages and CSV alike."""

from __future__ import annotations

from connector_app.returns.models import KIND_CANCELLATION, ReturnRequest
from connector_app.returns.tabs import TAB_OF_STATUS, status_help, status_label
from connector_app.timeutil import utcnow

URGENT_SECONDS = 24 * 3600

TYPE_LABELS = {
    "REFUND": "Refund only",
    "RETURN_AND_REFUND": "Return and refund",
    "REPLACEMENT": "Replacement",
}
ARBITRATION_LABELS = {
    "IN_PROGRESS": "Arbitration in progress",
    "SUPPORT_BUYER": "Arbitration: buyer supported",
    "SUPPORT_SELLER": "Arbitration: seller supported",
    "CLOSED": "Arbitration closed",
}
ARBITRATION_HELP = {
    "IN_PROGRESS": "The buyer appealed: TikTok's platform team decides this request now, not you.",
    "SUPPORT_BUYER": "TikTok's platform team decided the appeal in the buyer's favour.",
    "SUPPORT_SELLER": "TikTok's platform team decided the appeal in your favour.",
    "CLOSED": "The appeal is closed.",
}
NEXT_ACTION_LABELS = {
    "SELLER_RESPOND_REFUND": "Approve or reject the refund",
    "SELLER_RESPOND_RETURN": "Approve or reject the return",
    "SELLER_RESPOND_RECEIVE_PACKAGE": "Confirm the returned package",
    "SELLER_RESPOND_REPLACEMENT": "Approve or reject the replacement",
    "SELLER_RESPOND_CANCEL": "Approve or reject the cancellation",
}
_TAB_BADGES = {
    "applying": "badge-warn",
    "reject_application": "badge-danger",
    "returning": "badge-info",
    "buyer_shipped": "badge-info",
    "seller_reject_receive": "badge-danger",
    "success": "badge-ok",
    "closed": "",
    "complete": "badge-ok",
}


def type_label(row: ReturnRequest) -> str:
    if row.kind == KIND_CANCELLATION:
        return "Cancellation"
    return TYPE_LABELS.get(row.request_type, row.request_type.replace("_", " ").capitalize() or "Unknown")


def arbitration_label(value: str | None) -> str:
    if not value:
        return ""
    return ARBITRATION_LABELS.get(value, f"Arbitration: {value.replace('_', ' ').lower()}")


def arbitration_help(value: str | None) -> str:
    if not value:
        return ""
    return ARBITRATION_HELP.get(value, "TikTok's platform team is involved in this request.")


def status_badge(status: str | None) -> str:
    """The CSS class of a status badge; statuses the mapping does not know get the plain badge."""
    return _TAB_BADGES.get(TAB_OF_STATUS.get(status or "", ""), "badge-unknown")


def next_action_label(value: str | None) -> str:
    if not value:
        return ""
    return NEXT_ACTION_LABELS.get(value, value.replace("_", " ").capitalize())


def deadline_state(respond_by: int | None) -> str | None:
    """ "overdue", "soon" (under 24 h) or "later"; None when TikTok waits on nobody's deadline."""
    if respond_by is None:
        return None
    left = respond_by - int(utcnow().timestamp())
    if left < 0:
        return "overdue"
    return "soon" if left < URGENT_SECONDS else "later"


__all__ = [
    "arbitration_help",
    "arbitration_label",
    "deadline_state",
    "next_action_label",
    "status_badge",
    "status_help",
    "status_label",
    "type_label",
]
