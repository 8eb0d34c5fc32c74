"""The ONE table of decisions a seller can send, keyed by what TikTok is waiting for.

TikTok says what it waits on the seller for in ``seller_next_action_response.action`` (stored as
``ReturnRequest.next_action``); only the decisions listed for that action are offered, so a seller never
sees a button TikTok would refuse. URL slugs are the lower-cased decision names
(``/actions/<request_id>/approve_refund``).
"""

from __future__ import annotations

from dataclasses import dataclass

APPROVE = "approve"
REJECT = "reject"
US_REGION = "US"
REJECT_CANCELLATION = "REJECT_CANCELLATION"


@dataclass(frozen=True)
class Decision:
    name: str  # TikTok's decision (APPROVE_REFUND ...); for cancellations our own name
    verb: str  # approve | reject
    label: str  # button text
    explanation: str  # what happens when the seller confirms
    cancellation: bool = False

    @property
    def slug(self) -> str:
        return self.name.lower()

    @property
    def is_reject(self) -> bool:
        return self.verb == REJECT


def _pair(action: str, approve: Decision, reject: Decision) -> tuple[str, tuple[Decision, Decision]]:
    return action, (approve, reject)


DECISIONS_BY_ACTION: dict[str, tuple[Decision, ...]] = dict(
    [
        _pair(
            "SELLER_RESPOND_REFUND",
            Decision(
                "APPROVE_REFUND", APPROVE, "Approve refund", "TikTok refunds the buyer; no item comes back."
            ),
            Decision(
                "REJECT_REFUND", REJECT, "Reject refund", "The buyer is told why and may appeal to TikTok."
            ),
        ),
        _pair(
            "SELLER_RESPOND_RETURN",
            Decision(
                "APPROVE_RETURN",
                APPROVE,
                "Approve return",
                "The buyer ships the item back; you then confirm you received it.",
            ),
            Decision(
                "REJECT_RETURN", REJECT, "Reject return", "The buyer is told why and may appeal to TikTok."
            ),
        ),
        _pair(
            "SELLER_RESPOND_RECEIVE_PACKAGE",
            Decision(
                "APPROVE_RECEIVED_PACKAGE",
                APPROVE,
                "Confirm package received",
                "You confirm the returned item arrived as expected; TikTok refunds the buyer.",
            ),
            Decision(
                "REJECT_RECEIVED_PACKAGE",
                REJECT,
                "Reject returned package",
                "You report a problem with the returned item; TikTok may review the case.",
            ),
        ),
        _pair(
            "SELLER_RESPOND_REPLACEMENT",
            Decision(
                "APPROVE_REPLACEMENT",
                APPROVE,
                "Approve replacement",
                "You agree to send the buyer a replacement.",
            ),
            Decision(
                "REJECT_REPLACEMENT",
                REJECT,
                "Reject replacement",
                "The buyer is told why and may appeal to TikTok.",
            ),
        ),
        _pair(
            "SELLER_RESPOND_CANCEL",
            Decision(
                "APPROVE_CANCELLATION",
                APPROVE,
                "Approve cancellation",
                "The order is cancelled and TikTok refunds the buyer. Do not ship it.",
                cancellation=True,
            ),
            Decision(
                "REJECT_CANCELLATION",
                REJECT,
                "Reject cancellation",
                "The order stays open; ship it as usual.",
                cancellation=True,
            ),
        ),
    ]
)

DECISIONS_BY_SLUG: dict[str, Decision] = {
    d.slug: d for decisions in DECISIONS_BY_ACTION.values() for d in decisions
}


def decisions_for(next_action: str | None) -> tuple[Decision, ...]:
    """The decisions TikTok accepts now for a request waiting on ``next_action`` (none if unknown)."""
    return DECISIONS_BY_ACTION.get(next_action or "", ())


def approve_decision_for(next_action: str | None) -> Decision | None:
    return next((d for d in decisions_for(next_action) if d.verb == APPROVE), None)


def for_shop(decisions: tuple[Decision, ...], region: str | None) -> tuple[Decision, ...]:
    """US shops reject a buyer's cancellation by shipping the order (since 31 March 2024): TikTok's
    Reject Cancellation is not used for them."""
    if region == US_REGION:
        return tuple(d for d in decisions if d.name != REJECT_CANCELLATION)
    return decisions


def ships_to_keep(next_action: str | None, region: str | None) -> bool:
    """Whether the seller keeps this order (rejecting the buyer's cancellation) by shipping it."""
    return next_action == "SELLER_RESPOND_CANCEL" and region == US_REGION


def decision_label(name: str) -> str:
    """The button text of a decision name (``APPROVE_REFUND`` → "Approve refund")."""
    decision = DECISIONS_BY_SLUG.get(name.lower())
    return decision.label if decision else name.replace("_", " ").capitalize()


def allowed_decisions(request) -> tuple[Decision, ...]:
    """What the seller can send now on ``request`` (a ``ReturnRequest``): nothing while its shop needs
    reconnecting; no Reject Cancellation for US shops (they reject a cancellation by shipping)."""
    shop = request.shop
    if shop is None or not shop.is_connected:
        return ()
    return for_shop(decisions_for(request.next_action), shop.region)
