"""TikTok Shop Settings: one form per shop. The three switches are checkboxes named
``sync_product_info``, ``sync_price`` and ``sync_inventory`` (scripts and tests find them by name)."""

from __future__ import annotations

from decimal import Decimal

from flask_wtf import FlaskForm
from wtforms import BooleanField, DecimalField, IntegerField, SelectField, SelectMultipleField
from wtforms.validators import InputRequired, NumberRange, Optional

from connector_app.forms import choices

INTERVALS = (5, 15, 30, 60, 180, 1440)


class ShopSettingsForm(FlaskForm):
    sync_product_info = BooleanField(
        "Product information",
        description="Title and description from Etsy. Edits go to TikTok's review; the old version stays "
        "live until TikTok approves the new one.",
    )
    sync_price = BooleanField("Price", description="Etsy's price of each SKU, through the rule below.")
    sync_inventory = BooleanField(
        "Inventory",
        description="Etsy's stock of each SKU, through the buffer, share and maximum below. Fulfilled-by-"
        "TikTok SKUs are never pushed.",
    )
    price_mode = SelectField(
        "Price rule",
        choices=choices((("percent", "Percent of the Etsy price"), ("fixed", "Fixed amount added"))),
    )
    price_adjust = DecimalField(
        "Adjustment (+/−)",
        places=2,
        default=Decimal(0),
        validators=[InputRequired(), NumberRange(min=Decimal(-90), max=Decimal(1000))],
        description="Percent, or an amount in the TikTok shop's currency; negative lowers the price.",
    )
    price_rounding = SelectField(
        "Rounding",
        choices=choices((("none", "None (to the cent)"), ("99", "End in .99"), ("whole", "Whole units"))),
    )
    currency_rate = DecimalField(
        "Exchange rate (1 Etsy unit = ? TikTok units)",
        places=6,
        validators=[Optional(), NumberRange(min=Decimal("0.000001"), max=Decimal(1_000_000))],
        description="Only when the currencies differ. Without a rate, prices of this shop are not synced.",
    )
    max_price_change_percent = IntegerField(
        "Hold price changes above (percent)",
        default=50,
        validators=[InputRequired(), NumberRange(min=1, max=1000)],
        description="A bigger change waits for your confirmation on the Products page.",
    )
    inventory_buffer = IntegerField(
        "Keep back (units per SKU)", default=0, validators=[InputRequired(), NumberRange(min=0, max=99_999)]
    )
    inventory_percent = IntegerField(
        "Share of Etsy stock (percent)",
        default=100,
        validators=[InputRequired(), NumberRange(min=0, max=100)],
    )
    inventory_max = IntegerField(
        "Maximum per SKU (empty: no maximum)", validators=[Optional(), NumberRange(min=0, max=99_999)]
    )
    warehouse_ids = SelectMultipleField(
        "Warehouses that receive Etsy stock", choices=[], validate_choice=True, validators=[Optional()]
    )
    interval_minutes = SelectField(
        "Check Etsy for changes",
        coerce=int,
        choices=choices(
            (m, f"Every {m} minutes" if m < 60 else f"Every {m // 60} hour(s)") for m in INTERVALS
        ),
    )
