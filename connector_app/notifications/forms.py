"""The alert settings form: thresholds, the digest time, and for each kind the app and email choices
(fields ``in_app__<kind>`` and ``email__<kind>``, built from the sources' registry)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, SelectMultipleField
from wtforms.validators import InputRequired, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from connector_app.forms import choices
from connector_app.notifications.kinds import DIGEST, DIGEST_KIND, EMAIL_MODES, IMMEDIATE, OFF
from connector_app.notifications.preferences import MAX_THRESHOLDS, THRESHOLD_CHOICES, Prefs
from connector_app.notifications.sources import all_kinds

DIGEST_TIMES = [(minute, f"{minute // 60:02d}:{minute % 60:02d}") for minute in range(0, 24 * 60, 30)]


def _threshold_label(hours: int) -> str:
    return f"{hours // 24} days before" if hours >= 48 else f"{hours} h before"


def _at_most_three(form, field) -> None:
    if not field.data:
        raise ValidationError("Choose at least one (switch “A deadline is near” off below to get none).")
    if len(field.data) > MAX_THRESHOLDS:
        raise ValidationError(f"Choose at most {MAX_THRESHOLDS}.")


class AlertSettingsForm(FlaskForm):
    thresholds = SelectMultipleField(
        "Warn me before a deadline",
        coerce=int,
        choices=choices((h, _threshold_label(h)) for h in THRESHOLD_CHOICES),
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validators=[_at_most_three],
        description="Up to three. Each one is one alert per request or order, at that time before TikTok's "
        "deadline or ship-by time.",
    )
    digest_minute = SelectField(
        "Send the daily digest at",
        coerce=int,
        choices=choices(DIGEST_TIMES),
        validators=[InputRequired()],
        description="In your timezone (Settings → Account).",
    )


def in_app_name(kind: str) -> str:
    return f"in_app__{kind}"


def email_name(kind: str) -> str:
    return f"email__{kind}"


def settings_form(prefs: Prefs | None = None) -> AlertSettingsForm:
    """The form with one pair of fields per kind; filled from ``prefs`` when given (a page view)."""
    fields = {}
    for kind in all_kinds().values():
        if kind.key == DIGEST_KIND:
            fields[email_name(kind.key)] = BooleanField("Email me the daily digest")
            continue
        fields[in_app_name(kind.key)] = BooleanField("In the app")
        fields[email_name(kind.key)] = SelectField(
            "Email", choices=choices(EMAIL_MODES.items()), validators=[InputRequired()]
        )
    form_class = type("KindsAlertSettingsForm", (AlertSettingsForm,), fields)
    if prefs is None:
        return form_class()
    form = form_class(formdata=None, thresholds=list(prefs.thresholds), digest_minute=prefs.digest_minute)
    for kind in all_kinds():
        if kind == DIGEST_KIND:
            form[email_name(kind)].data = prefs.digest_on
        else:
            form[in_app_name(kind)].data = prefs.in_app(kind)
            form[email_name(kind)].data = prefs.email(kind)
    return form


def choices_from(form: AlertSettingsForm) -> dict[str, dict]:
    chosen = {}
    for kind in all_kinds():
        if kind == DIGEST_KIND:
            chosen[kind] = {"email": IMMEDIATE if form[email_name(kind)].data else OFF}
        else:
            mode = form[email_name(kind)].data
            chosen[kind] = {
                "in_app": bool(form[in_app_name(kind)].data),
                "email": mode if mode in (IMMEDIATE, DIGEST, OFF) else OFF,
            }
    return chosen
