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


class BulkSelectionForm(FlaskForm):
    """The toolbar: the ticked rows (``request_ids``) or a whole grid view (``scope=matching`` and its
    URL arguments in ``view``), and what to do with them (``verb``)."""

    verb = HiddenField(validators=[Optional()])
    scope = HiddenField(validators=[Optional()])
    view = HiddenField(validators=[Optional(), Length(max=4000)])


class BulkForm(FlaskForm):
    """The confirmation: each request with the decision it was shown with (``items``:
    "<request id>:<DECISION>"), and for a rejection TikTok's reason and a comment."""

    idempotency_key = HiddenField(validators=[DataRequired(), KEY])
    tab = HiddenField(validators=[Optional(), Length(max=32)])
    reject_reason = RadioField("Reason", validate_choice=False, choices=[], validators=[Optional()])
    comment = TextAreaField(
        "Comment for the buyers (optional)",
        validators=[Optional(), Length(max=500, message="Keep the comment under 500 characters.")],
        description="Sent with every rejection. Up to 500 characters.",
    )
