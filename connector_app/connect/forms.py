"""Forms of the connection guide (every POST carries the CSRF token through ``hidden_tag()``)."""

from __future__ import annotations

from flask import request
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField
from wtforms.validators import ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from connector_app.connect.tiktok_apps import region_group  # noqa: F401 - re-exported for the routes

# TikTok Shop's region codes (the API's spelling: GB for the United Kingdom).
REGIONS: dict[str, str] = {
    "US": "United States",
    "BR": "Brazil",
    "FR": "France",
    "DE": "Germany",
    "ID": "Indonesia",
    "IE": "Ireland",
    "IT": "Italy",
    "JP": "Japan",
    "MY": "Malaysia",
    "MX": "Mexico",
    "PH": "Philippines",
    "SG": "Singapore",
    "ES": "Spain",
    "TH": "Thailand",
    "GB": "United Kingdom",
    "VN": "Vietnam",
}


def _at_least_one(form: FlaskForm, field: SelectMultipleField) -> None:
    # A plain function, not DataRequired: that would mark every checkbox "required" in the browser.
    if not field.data:
        raise ValidationError("Choose at least one shop to connect.")


class ShopChoiceForm(FlaskForm):
    shops = SelectMultipleField(
        "Shops to connect",
        choices=[],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validators=[_at_least_one],
    )


class ConfirmForm(FlaskForm):
    """A confirmation step that works without JavaScript: the action runs only when the posted form
    says ``confirm=yes`` (the confirmation page's button); any other post shows that page first."""

    @property
    def confirmed(self) -> bool:
        return request.form.get("confirm") == "yes"
