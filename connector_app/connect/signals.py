"""What the connect feature tells features above it, so it never imports them.

Sent inside the unit of work that made the change, with the session holding it: a receiver's writes
commit (or roll back) together with the connection. Receivers that start background work enqueue it
with ``enqueue_after_commit``.

- ``shop_connected(shop)``: a TikTok shop was connected or re-linked (returns creates its tab
  counters, sync schedules its first sync).
- ``shop_disconnected(shop, reason)``: a shop was disconnected by the seller, or its access was lost
  (``reason`` = ``"disconnected"`` or ``"needs_reconnect"``); sync stops scheduling it.
- ``etsy_connected(connection, replaced)``: an Etsy shop was connected (``replaced`` is the Etsy
  connection it took over from, or None); listings refreshes its cache.
- ``guide_sync_step(seller_id)``: the connection guide asks for its last step, "first sync";
  the sync feature answers with a :class:`GuideSyncStep`.
- ``connection_lost(seller_id=…, committed=…)``: a store's access was lost — the seller removed the app
  in TikTok Shop (webhook type 6: in the caller's unit of work, ``committed=False``) or a marketplace
  refused to renew the access (written at once on its own connection, ``committed=True``: a receiver
  must not write through the session then, which may be rolled back or hold SQLite's lock).
- ``authorization_expiring(seller_id=…, committed=False)``: TikTok said an authorization ends soon
  (webhook type 7).
- ``etsy_step_panels(seller_id, connection)``: the Stores page asks what to show under the connected
  Etsy shop (listings answers: its listings and how many TikTok SKUs match them), as panels.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from blinker import Namespace

_signals = Namespace()

shop_connected = _signals.signal("shop-connected")
shop_disconnected = _signals.signal("shop-disconnected")
etsy_connected = _signals.signal("etsy-connected")
guide_sync_step = _signals.signal("guide-sync-step")
connection_lost = _signals.signal("connection-lost")
authorization_expiring = _signals.signal("authorization-expiring")
etsy_step_panels = _signals.signal("etsy-step-panels")


@dataclass
class GuideSyncStep:
    """The sync feature's answer for the guide's step 4."""

    runs: list[Any] = field(default_factory=list)  # the seller's recent sync runs, newest first
    active: list[Any] = field(default_factory=list)  # those queued or running
    state: str = "todo"  # todo | running | done | failed
    last_ok_at: datetime | None = None
    available: bool = True  # False while the job queue cannot be reached


def ask_guide_sync_step(seller_id: int) -> GuideSyncStep | None:
    answers = [value for _receiver, value in guide_sync_step.send(None, seller_id=seller_id) if value]
    return answers[0] if answers else None
