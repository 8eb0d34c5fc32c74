"""Price and stock targets: the rule, rounding, currencies, the buffer/share/maximum, warehouses."""

from decimal import Decimal

import pytest

from connector_app.products.rules import (
    NotPushable,
    PriceRule,
    StockRule,
    price_jump,
    split_stock,
    target_price,
    target_stock,
)


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (PriceRule(), "28.00"),
        (PriceRule("percent", Decimal(10)), "30.80"),
        (PriceRule("percent", Decimal(-25)), "21.00"),
        (PriceRule("fixed", Decimal("2.50")), "30.50"),
        (PriceRule("percent", Decimal(10), "99"), "30.99"),
        (PriceRule("percent", Decimal(10), "whole"), "31.00"),
    ],
)
def test_price_rule_and_rounding(rule, expected):
    assert target_price(Decimal("28.00"), "USD", "USD", rule) == Decimal(expected)


def test_another_currency_needs_the_sellers_rate_never_a_guess():
    with pytest.raises(NotPushable, match="enter an exchange rate"):
        target_price(Decimal("28.00"), "GBP", "EUR", PriceRule())
    assert target_price(Decimal("28.00"), "GBP", "EUR", PriceRule(rate=Decimal("1.17"))) == Decimal("32.76")
    assert target_price(Decimal("10"), "USD", "IDR", PriceRule(rate=Decimal(15800))) == Decimal(158000)


def test_a_rule_that_makes_no_positive_price_is_refused():
    with pytest.raises(NotPushable):
        target_price(Decimal("1.00"), "USD", "USD", PriceRule("fixed", Decimal(-5)))


@pytest.mark.parametrize(
    ("etsy", "rule", "expected"),
    [
        (10, StockRule(), 10),
        (10, StockRule(buffer=3), 7),
        (2, StockRule(buffer=3), 0),
        (10, StockRule(percent=50), 5),
        (10, StockRule(maximum=4), 4),
        (10, StockRule(buffer=2, percent=50, maximum=100), 4),
        (500_000, StockRule(), 99_999),
    ],
)
def test_stock_never_exceeds_etsy_after_the_buffer(etsy, rule, expected):
    assert target_stock(etsy, rule) == expected


def test_split_names_every_warehouse_and_sums_to_the_target():
    assert split_stock(7, {"W1": 4, "W2": 3}) == {"W1": 4, "W2": 3}
    assert split_stock(9, {"W1": 1, "W2": 1}) == {"W1": 5, "W2": 4}
    # only W1 receives Etsy stock: W2 keeps its 2, W1 gets the rest
    assert split_stock(9, {"W1": 1, "W2": 2}, ["W1"]) == {"W1": 7, "W2": 2}


def test_split_refuses_what_tiktok_would_refuse_or_what_would_oversell():
    with pytest.raises(NotPushable, match="none left"):
        split_stock(0, {"W1": 3})
    with pytest.raises(NotPushable, match="cannot be spread"):
        split_stock(1, {"W1": 3, "W2": 3})
    with pytest.raises(NotPushable, match="no warehouse"):
        split_stock(3, {})


def test_price_jump_in_percent():
    assert price_jump(Decimal(20), Decimal(31)) == 55
    assert price_jump(None, Decimal(31)) is None
