"""The timezone select renders its ~600 options once, and still exactly as WTForms' own widget does."""

import pytest
from wtforms.widgets import Select

from connector_app.settings.forms import AccountForm

ZONES = ["Europe/Berlin", "UTC", "America/Argentina/Buenos_Aires", "Not/AZone", None]


@pytest.mark.parametrize("chosen", ZONES)
def test_the_timezone_select_is_the_html_wtforms_renders(app, chosen):
    with app.test_request_context():
        form = AccountForm(data={"timezone": chosen})
        for _ in range(2):  # the second rendering comes from the cached options
            kwargs = {"aria-invalid": "true", "autofocus": False}
            html = str(form.timezone(**kwargs))
            assert html == str(Select()(form.timezone, **kwargs))
        selected = html.count("selected")
        assert selected == (0 if chosen in ("Not/AZone", None) else 1)
        if selected:
            assert f'<option selected value="{chosen}">' in html
