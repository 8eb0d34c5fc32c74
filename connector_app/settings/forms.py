"""Settings forms. The returns form gets one interval field per TikTok shop (``interval_<shop pk>``)."""

from __future__ import annotations

from functools import cache
from zoneinfo import available_timezones

from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import BooleanField, Choice, PasswordField, SelectChoice, SelectField
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length
from wtforms.widgets import Select, html_params

from connector_app.accounts.forms import MIN_PASSWORD
from connector_app.accounts.preferences import PAGE_SIZES
from connector_app.forms import choices
from connector_app.sync.schedule import SYNC_INTERVALS

INTERVAL_LABELS = {
    0: "Off — only when I press Sync",
    5: "Every 5 minutes",
    15: "Every 15 minutes",
    60: "Every hour",
}
DATE_FORMATS = (
    ("%Y-%m-%d %H:%M", "2025-03-31 14:05"),
    ("%d/%m/%Y %H:%M", "31/03/2025 14:05"),
    ("%m/%d/%Y %I:%M %p", "03/31/2025 02:05 PM"),
    ("%d %b %Y, %H:%M", "31 Mar 2025, 14:05"),
    ("%b %d, %Y %I:%M %p", "Mar 31, 2025 02:05 PM"),
)


@cache
def timezone_choices() -> list[SelectChoice]:
    names = sorted(n for n in available_timezones() if "/" in n or n == "UTC")
    return choices((n, n.replace("_", " ")) for n in names)


class FixedChoicesSelect(Select):
    """A ``<select>`` for a long list of choices that never changes (the ~600 timezones).

    The options are rendered once per choices list and only the selected one is rendered per page:
    WTForms' widget rendered every option on every settings page, about 80 ms of CPU each time.
    For fields whose data is the chosen value itself (no coercion).
    """

    def __init__(self) -> None:
        super().__init__()
        self._rendered: tuple[object, list[Markup], dict[str, int]] | None = None

    def _options(self, choices: list[SelectChoice]) -> tuple[list[Markup], dict[str, int]]:
        if self._rendered is None or self._rendered[0] is not choices:
            rendered = [self.render_option(_choice(choice, selected=False)) for choice in choices]
            positions = {str(choice.value): i for i, choice in enumerate(choices)}
            self._rendered = (choices, rendered, positions)
        return self._rendered[1], self._rendered[2]

    def __call__(self, field, **kwargs) -> Markup:
        kwargs.setdefault("id", field.id)
        flags = getattr(field, "flags", {})
        for name in self.validation_attrs:
            if name not in kwargs and getattr(flags, name, False):
                kwargs[name] = getattr(flags, name)
        options, positions = self._options(field.choices)
        selected = positions.get(field.data) if isinstance(field.data, str) else None
        if selected is not None:
            options = list(options)
            options[selected] = self.render_option(_choice(field.choices[selected], selected=True))
        # html_params escapes every value, render_option every option: both are markup already.
        params = Markup(html_params(name=field.name, **kwargs))  # noqa: S704
        return Markup("<select {}>{}</select>").format(params, Markup("").join(options))


def _choice(choice: SelectChoice, selected: bool) -> Choice:
    return Choice(choice.value, choice.label, selected, choice.render_kw)


def interval_field(label: str) -> SelectField:
    return SelectField(
        label,
        choices=choices((m, INTERVAL_LABELS[m]) for m in SYNC_INTERVALS),
        coerce=int,
        validators=[InputRequired()],
    )


class ReturnsSettingsForm(FlaskForm):
    restock_on_complete = BooleanField(
        "Restock Etsy inventory on completed returns",
        description=(
            "When a return-and-refund is complete on TikTok Shop, add the returned quantity back to the "
            "Etsy listing with the same SKU — once per item, never twice. Only returns that complete "
            "after you switch this on are restocked; earlier ones are left as they are."
        ),
    )
    default_shop = SelectField(
        "Shop the returns list opens on",
        coerce=int,
        description="Which of your TikTok shops you see first when you open Returns.",
    )
    page_size = SelectField(
        "Requests per page",
        coerce=int,
        choices=choices((n, str(n)) for n in PAGE_SIZES),
        description="How many requests the returns list shows at a time.",
    )


def returns_form_for(shops) -> ReturnsSettingsForm:
    """A returns-settings form with one sync-interval field per shop."""
    fields = {f"interval_{shop.id}": interval_field(f"Automatic sync — {shop.label}") for shop in shops}
    form_class = type("ShopReturnsSettingsForm", (ReturnsSettingsForm,), fields)
    form = form_class()
    form.default_shop.choices = choices([(0, "All shops")] + [(shop.id, shop.label) for shop in shops])
    return form


class AccountForm(FlaskForm):
    timezone = SelectField(
        "Timezone",
        widget=FixedChoicesSelect(),
        validators=[DataRequired()],
        description="Every date and time in the app is shown in this timezone.",
    )
    date_format = SelectField(
        "Date format",
        choices=choices(DATE_FORMATS),
        validators=[DataRequired()],
        description="How dates look.",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.timezone.choices = timezone_choices()


class PasswordForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired(), Length(max=256)])
    new_password = PasswordField(
        "New password",
        validators=[
            DataRequired(),
            Length(min=MIN_PASSWORD, max=256, message=f"Use at least {MIN_PASSWORD} characters."),
        ],
        description=f"At least {MIN_PASSWORD} characters. Your other devices will be logged out.",
    )
    confirm = PasswordField(
        "Repeat new password",
        validators=[DataRequired(), EqualTo("new_password", message="The two passwords differ.")],
    )


class DeleteAccountForm(FlaskForm):
    password = PasswordField("Your password", validators=[DataRequired(), Length(max=256)])
    understood = BooleanField(
        "I understand this deletes my account, my synced returns and my store connections for good.",
        validators=[DataRequired(message="Tick the box to confirm.")],
    )
