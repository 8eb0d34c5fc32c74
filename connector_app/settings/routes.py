from __future__ import annotations

from flask_login import login_required

from connector_app.settings import bp
from connector_app.templating import render_page


@bp.get("")
@login_required
def index():
    return render_page("placeholder.html", title="settings")
