"""The seam to the orders feature: units sold per SKU, for the return rate.

Return rate per product = requests ÷ units sold. Returns know the requests; only the orders feature
knows what was sold. The insights page asks with :data:`units_sold` and shows a rate only when an
answer covers the whole period for every shop asked about; otherwise it says plainly that orders are
not synced for the period.

``units_sold`` is sent by the page's view with keyword arguments:

- ``seller_id`` (int): the seller — receivers scope every query to it (``tenancy.for_seller``);
- ``shop_ids`` (list[int]): ``TikTokShop`` primary keys of the shops on the page (all of the seller's
  shops, or the one chosen);
- ``start``, ``end`` (int): the period, unix seconds, ``[start, end)`` (whole UTC weeks);
- ``skus`` (list[str]): the seller SKUs the page needs a rate for.

A receiver answers with :class:`UnitsSold` (or None when it has nothing to say): units sold per SKU in
the period in those shops (order line items, excluding cancelled ones), and the span over which it
holds *every* order of *every* shop asked about (``complete_from``/``complete_through``, unix seconds;
None when it has not synced them). After the orders feature merges, ``insights.init_app`` connects its
receiver (insights sits above orders and may import it).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from blinker import Namespace

_signals = Namespace()

units_sold = _signals.signal("units-sold")

# Orders synced through an hour ago still cover a period that ends now.
COVERAGE_SLACK_SECONDS = 3_600


@dataclass(frozen=True)
class UnitsSold:
    units: dict[str, int] = field(default_factory=dict)
    complete_from: int | None = None
    complete_through: int | None = None

    def covers(self, start: int, end: int, now: int) -> bool:
        """Whether every order of the period (up to now, if it has not ended) is counted."""
        if self.complete_from is None or self.complete_through is None:
            return False
        return self.complete_from <= start and self.complete_through >= min(end, now) - COVERAGE_SLACK_SECONDS


def ask_units_sold(
    seller_id: int, shop_ids: list[int], start: int, end: int, skus: list[str]
) -> UnitsSold | None:
    """The first answer of the orders feature, or None when nothing answered."""
    for _receiver, answer in units_sold.send(
        None, seller_id=seller_id, shop_ids=list(shop_ids), start=start, end=end, skus=list(skus)
    ):
        if answer is not None:
            return answer
    return None
