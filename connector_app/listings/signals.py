"""What the listings feature tells features above it, so it never imports them.

- ``listings_refreshed(sender, seller_id=…, connection_id=…)``: a refresh of the seller's Etsy listings
  committed (the catalog sync checks the shops that follow Etsy). Sent outside any unit of work.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

listings_refreshed = _signals.signal("listings-refreshed")
