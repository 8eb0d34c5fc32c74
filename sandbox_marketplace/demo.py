"""The demo cast: TikTok sellers and shops, Etsy users and shops, and their product catalog."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DemoShop:
    name: str
    region: str
    currency: str
    seller_type: str = "LOCAL"


@dataclass(frozen=True)
class DemoSeller:
    key: str  # stable handle used by the control API and the consent pages
    name: str
    base_region: str
    shops: tuple[DemoShop, ...]
    etsy_login: str  # the same business on Etsy


@dataclass(frozen=True)
class DemoEtsyUser:
    login_name: str
    first_name: str
    shop_name: str
    currency: str


SELLERS: tuple[DemoSeller, ...] = (
    DemoSeller(
        "harbor-pine", "Harbor & Pine Goods", "US", (DemoShop("Harbor & Pine US", "US", "USD"),), "harborpine"
    ),
    DemoSeller(
        "lindenhof",
        "Lindenhof Atelier",
        "GB",
        (
            DemoShop("Lindenhof Atelier UK", "GB", "GBP"),
            DemoShop("Lindenhof Atelier DE", "DE", "EUR", "CROSS_BORDER"),
        ),
        "lindenhofatelier",
    ),
    DemoSeller("kirana", "Kirana Craft Co", "ID", (DemoShop("Kirana Craft", "ID", "IDR"),), "kiranacraft"),
    DemoSeller(
        "maple-thread", "Maple Thread Studio", "US", (DemoShop("Maple Thread", "US", "USD"),), "maplethread"
    ),
    DemoSeller(
        "atelier-soleil",
        "Atelier Soleil",
        "FR",
        (
            DemoShop("Atelier Soleil FR", "FR", "EUR"),
            DemoShop("Atelier Soleil ES", "ES", "EUR", "CROSS_BORDER"),
        ),
        "ateliersoleil",
    ),
)

ETSY_USERS: tuple[DemoEtsyUser, ...] = (
    DemoEtsyUser("harborpine", "Hannah", "HarborAndPineGoods", "USD"),
    DemoEtsyUser("lindenhofatelier", "Lena", "LindenhofAtelier", "GBP"),
    DemoEtsyUser("kiranacraft", "Kirana", "KiranaCraftCo", "USD"),
    DemoEtsyUser("maplethread", "Mae", "MapleThreadStudio", "USD"),
    DemoEtsyUser("ateliersoleil", "Solène", "AtelierSoleil", "EUR"),
)

# Product families; each Etsy shop gets a few of them, each with variations (one SKU per variation).
PRODUCTS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("Hand-thrown Stoneware Mug", ("Sea Glass", "Charcoal", "Oat"), "28.00"),
    ("Linen Table Runner", ("Natural", "Indigo"), "42.00"),
    ("Beeswax Taper Candles (pair)", ("8 inch", "10 inch", "12 inch"), "16.50"),
    ("Leather Card Wallet", ("Tan", "Black", "Oxblood"), "35.00"),
    ("Macramé Plant Hanger", ("Small", "Large"), "24.00"),
    ("Sterling Silver Stacking Ring", ("Size 6", "Size 7", "Size 8"), "39.00"),
    ("Wool Felt Slippers", ("EU 38", "EU 40", "EU 42"), "54.00"),
    ("Batik Cotton Scarf", ("Sunrise", "Lagoon"), "31.00"),
    ("Olive Wood Serving Board", ("Medium", "Large"), "47.00"),
    ("Hand-bound Journal", ("A5 Dotted", "A5 Lined"), "22.00"),
)

# Currency → (decimal places, factor applied to the USD-ish catalog price).
CURRENCIES: dict[str, tuple[int, int]] = {"USD": (2, 1), "GBP": (2, 1), "EUR": (2, 1), "IDR": (0, 15000)}
