"""Bulk approval: the rows selected in a tab are approved together by a background job.

The toolbar form carries an idempotency key (rendered with it) that becomes the RQ job id and the
``BulkAction`` id: submitting the same form twice shows the running job instead of starting another.
"""

from __future__ import annotations

from datetime import timedelta

from flask import abort, make_response, redirect, request, url_for
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError

from connector_app.actions import bp, services
from connector_app.actions.decisions import approve_decision_for
from connector_app.actions.forms import BulkForm
from connector_app.actions.jobs import run_bulk
from connector_app.actions.models import FINISHED, BulkAction
from connector_app.extensions import db, rq
from connector_app.inputs import parse_key
from connector_app.returns.models import ReturnRequest
from connector_app.templating import is_htmx, render_page
from connector_app.tenancy import for_seller, get_for_seller, get_for_seller_or_404
from connector_app.timeutil import utcnow

MAX_BULK = 200
# A bulk job not finished within this long no longer blocks the seller from starting another.
ONE_AT_A_TIME_FOR = timedelta(minutes=15)


@bp.post("/bulk")
@login_required
def bulk():
    form = BulkForm()
    request_ids = list(dict.fromkeys(request.form.getlist("request_ids")))
    if not form.validate_on_submit():
        abort(400)
    if any(parse_key(request_id) is None for request_id in request_ids):
        abort(404)  # no marketplace id looks like that
    key = form.idempotency_key.data
    existing = get_for_seller(BulkAction, id=key)
    if existing is not None:
        return _show(existing)
    if not request_ids:
        return _message("Select at least one request first (tick the boxes in the list).", 400)
    if len(request_ids) > MAX_BULK:
        return _message(f"Select at most {MAX_BULK} requests at a time.", 400)
    running = db.session.scalars(
        for_seller(BulkAction)
        .where(BulkAction.state != FINISHED, BulkAction.created_at > utcnow() - ONE_AT_A_TIME_FOR)
        .order_by(BulkAction.created_at.desc())
        .limit(1)
    ).first()
    if running is not None:  # one bulk job per seller at a time: show the one still running
        return _show(running)
    rows = db.session.scalars(
        for_seller(ReturnRequest).where(ReturnRequest.request_id.in_(request_ids))
    ).all()
    if len({r.request_id for r in rows}) != len(request_ids):
        abort(404)  # someone else's id, or a made-up one: never confirm which
    bulk = BulkAction(
        id=key,
        seller_id=current_user.id,
        tab=form.tab.data or None,
        total=len(rows),
        actor=current_user.email,
    )
    db.session.add(bulk)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        abort(400)  # the key is taken by another seller's job
    for row in sorted(rows, key=lambda r: request_ids.index(r.request_id)):
        decision = approve_decision_for(row.next_action)
        if decision is None:
            services.record_skip(row, f"{key}-{row.id}", current_user.email, bulk_id=key)
            continue
        services.claim(row, decision, f"{key}-{row.id}", current_user.email, bulk_id=key)
    db.session.commit()
    # Prefixed: a client-chosen key never names another job (a sync run's, a webhook's) in the queue.
    rq.enqueue(run_bulk, current_user.id, key, job_id=f"bulk-{current_user.id}-{key}")
    if not is_htmx():
        return redirect(url_for("actions.bulk_progress", job_id=key))
    return _show(bulk)


@bp.get("/bulk/<key:job_id>")
@login_required
def bulk_progress(job_id: str):
    return _show(get_for_seller_or_404(BulkAction, id=job_id))


def _show(bulk: BulkAction):
    finished = bulk.state == FINISHED
    body = render_page("actions/bulk.html", "progress", bulk=bulk, finished=finished)
    response = make_response(body)
    if finished and is_htmx():
        response.status_code = 286  # htmx stops polling
        response.headers["HX-Trigger"] = "returns-changed"
    return response


def _message(text: str, status: int):
    return render_page("actions/bulk.html", "progress", bulk=None, message=text, status=status)
