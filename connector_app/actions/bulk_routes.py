"""Bulk approval: the rows selected in a tab are approved together by a background job.

The toolbar form carries an idempotency key (rendered with it) that becomes the job's id
(``BulkAction.id``): submitting the same form twice shows the running job instead of starting another.
The rows are created by ``services.start_bulk``; the job is queued when the request commits.
"""

from __future__ import annotations

from flask import abort, request
from flask_login import current_user, login_required

from connector_app.actions import bp, services
from connector_app.actions.forms import BulkForm
from connector_app.actions.models import BulkAction
from connector_app.actions.routes import job_response, show_job
from connector_app.inputs import parse_key
from connector_app.templating import render_page
from connector_app.tenancy import get_for_seller_or_404


@bp.post("/bulk")
@login_required
def bulk():
    form = BulkForm()
    if not form.validate_on_submit():
        abort(400)
    request_ids = request.form.getlist("request_ids")
    if any(parse_key(request_id) is None for request_id in request_ids):
        abort(404)  # no marketplace id looks like that
    try:
        started = services.start_bulk(
            current_user.id, current_user.email, form.idempotency_key.data, request_ids, form.tab.data
        )
    except services.BulkRefused as exc:
        return render_page("actions/bulk.html", "progress", bulk=None, message=str(exc), status=400)
    except LookupError:
        abort(404)  # someone else's id, or a made-up one: never confirm which
    except services.KeyConflict:
        abort(400)  # the key is taken by another seller's job
    return job_response(started)


@bp.get("/bulk/<key:job_id>")
@login_required
def bulk_progress(job_id: str):
    """A decision job's progress: a bulk approval, or one decision (shown in its respond panel)."""
    return show_job(get_for_seller_or_404(BulkAction, id=job_id))
