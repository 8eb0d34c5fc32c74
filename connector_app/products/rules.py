"""What TikTok should show for an Etsy SKU under the shop's settings: price and stock targets.

Pure functions (no database): the preview, the page's "differs" and the push all use them.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

MAX_STOCK = 99_999  # per warehouse on TikTok
MIN_STOCK = 1  # TikTok's documented minimum per warehouse (0 is not verified: never sent)
ZERO_DECIMAL_CURRENCIES = {"IDR", "JPY", "KRW", "VND"}


@dataclass(frozen=True)
class PriceRule:
    mode: str = "percent"  # percent | fixed
    adjust: Decimal = Decimal(0)
    rounding: str = "none"  # none | 99 | whole
    rate: Decimal | None = None  # Etsy currency → TikTok currency, entered by the seller


@dataclass(frozen=True)
class StockRule:
    buffer: int = 0
    maximum: int | None = None
    percent: int = 100


class NotPushable(Exception):
    """This value cannot be set on TikTok; ``str()`` says why, for the seller."""


def target_price(
    etsy_price: Decimal | None, etsy_currency: str, shop_currency: str, rule: PriceRule
) -> Decimal:
    if etsy_price is None:
        raise NotPushable("Etsy gave no price for this SKU")
    base = Decimal(etsy_price)
    if etsy_currency and shop_currency and etsy_currency != shop_currency:
        if not rule.rate:
            raise NotPushable(
                f"Etsy prices are in {etsy_currency} and this shop sells in {shop_currency}: "
                "enter an exchange rate in TikTok Shop Settings (no rate is ever guessed)"
            )
        base = base * Decimal(rule.rate)
    if rule.mode == "fixed":
        value = base + Decimal(rule.adjust)
    else:
        value = base * (Decimal(100) + Decimal(rule.adjust)) / Decimal(100)
    places = Decimal(1) if shop_currency in ZERO_DECIMAL_CURRENCIES else Decimal("0.01")
    if rule.rounding == "99" and shop_currency not in ZERO_DECIMAL_CURRENCIES:
        whole = value.quantize(Decimal(1), rounding=ROUND_DOWN)
        value = whole + Decimal("0.99") if whole >= 1 else Decimal("0.99")
    elif rule.rounding == "whole":
        value = value.quantize(Decimal(1), rounding=ROUND_HALF_UP)
    value = value.quantize(places, rounding=ROUND_HALF_UP)
    if value <= 0:
        raise NotPushable(f"the price rule makes {value}: TikTok needs a positive price")
    return value


def target_stock(etsy_quantity: int, rule: StockRule) -> int:
    """Never more than Etsy has after the buffer; the percent share and the maximum only lower it."""
    available = max(0, int(etsy_quantity) - max(0, rule.buffer))
    share = available * max(0, min(100, rule.percent)) // 100
    if rule.maximum is not None:
        share = min(share, max(0, rule.maximum))
    return min(share, available, MAX_STOCK)


def split_stock(total: int, assigned: dict[str, int], receiving: list[str] | None = None) -> dict[str, int]:
    """Per-warehouse quantities for Update Inventory: every assigned warehouse named, the sum equal to
    ``total``. Warehouses that do not receive Etsy stock keep what they hold (it counts in the total);
    the receiving ones share the rest. Raises ``NotPushable`` when TikTok's minimum of 1 per warehouse
    cannot be met without selling more than Etsy has."""
    if not assigned:
        raise NotPushable("the SKU has no warehouse on TikTok")
    chosen = [w for w in (receiving or []) if w in assigned] or list(assigned)
    kept = {w: q for w, q in assigned.items() if w not in chosen}
    rest = total - sum(kept.values())
    if rest < len(chosen) * MIN_STOCK or any(q < MIN_STOCK for q in kept.values()):
        if total == 0:
            raise NotPushable(
                "Etsy has none left after the buffer, and TikTok accepts no stock below 1 by API: "
                "deactivate the SKU on TikTok, or it stays on sale"
            )
        raise NotPushable(
            f"{total} cannot be spread over {len(assigned)} TikTok warehouses (at least 1 each) "
            "without selling more than Etsy has"
        )
    share, extra = divmod(rest, len(chosen))
    split = dict(kept)
    for index, warehouse in enumerate(chosen):
        quantity = share + (1 if index < extra else 0)
        if quantity > MAX_STOCK:
            raise NotPushable(f"{quantity} is above TikTok's maximum of {MAX_STOCK} per warehouse")
        split[warehouse] = quantity
    return {w: split[w] for w in assigned}


def price_jump(before: Decimal | None, after: Decimal) -> int | None:
    """The change in percent (rounded up), or None without a price before."""
    if before is None or before <= 0:
        return None
    change = abs(after - before) * 100 / before
    return int(change.to_integral_value(rounding="ROUND_CEILING"))
