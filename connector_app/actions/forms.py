from __future__ import annotations

import secrets

from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp

KEY = Regexp(r"^[A-Za-z0-9_-]{16,64}$", message="This form is not valid any more; open it again.")


def new_idempotency_key() -> str:
    """The key a confirmation or bulk form is rendered with; it names the decision job it starts."""
    return secrets.token_urlsafe(24)


class RespondForm(FlaskForm):
    """Confirmation of one decision. ``idempotency_key`` is generated when the form is rendered."""

    idempotency_key = HiddenField(validators=[DataRequired(), KEY])
    reject_reason = RadioField("Reason", validate_choice=True, choices=[])
    comment = TextAreaField(
        "Comment for the buyer (optional)",
        validators=[Optional(), Length(max=500, message="Keep the comment under 500 characters.")],
        description="Shown to the buyer and to TikTok if the buyer appeals. Up to 500 characters.",
    )


class BulkForm(FlaskForm):
    idempotency_key = HiddenField(validators=[DataRequired(), KEY])
    tab = HiddenField(validators=[Optional(), Length(max=32)])
