"""What the webhooks feature tells features above it, so it never imports them.

- ``webhook_received(event, shop=…, seller_id=…)``: a stored delivery of a type this feature does not
  handle itself (returns, cancellations and authorization are handled here). Features above answer the
  types they own (orders: 1 order status, FBT inventory; products: 5 product status …) by returning an
  outcome string — what was done, stored on the delivery — or None when the type is not theirs.
  ``shop`` is the connected TikTok shop named by the delivery's ``shop_id`` (None when the delivery names
  no shop, as FBT deliveries do: they carry ``seller_open_id``; the receiver resolves it). Sent inside
  the job, outside any unit of work: a receiver commits its own ``job_step()``. A retryable
  ``MarketplaceError`` raised by a receiver makes RQ retry the delivery later.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

webhook_received = _signals.signal("webhook-received")


def dispatch(event, *, shop, seller_id: int | None) -> str | None:
    """The first outcome a receiver returned, or None when no feature handles this type."""
    for _receiver, outcome in webhook_received.send(event, shop=shop, seller_id=seller_id):
        if outcome:
            return outcome
    return None
