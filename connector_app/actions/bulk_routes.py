"""Bulk decisions: the rows ticked in the grid (or every request of a view) are approved or rejected
together by a background job — after a confirmation that lists what each request will get.

1. ``POST /actions/bulk/confirm`` (the toolbar): the confirmation — each request with its decision or
   why it is left out, the refunds per currency, and for a rejection the reasons valid for all of them.
   It changes nothing.
2. ``POST /actions/bulk`` (the confirmation's form): carries each request with the decision it was
   shown with, and an idempotency key (rendered with the confirmation) that becomes the job's id
   (``BulkAction.id``): submitting the same form twice shows the running job instead of starting
   another. The rows are created by ``services.start_bulk``; the job is queued when the request commits.
"""

from __future__ import annotations

from flask import abort, request, url_for
from flask_login import current_user, login_required

from connector_app.actions import bp, bulk_plan, services
from connector_app.actions.forms import BulkForm, BulkSelectionForm, new_idempotency_key
from connector_app.actions.models import BulkAction
from connector_app.actions.routes import job_response, show_job
from connector_app.forms import choices
from connector_app.inputs import parse_key
from connector_app.returns.grid_context import matching_request_ids
from connector_app.templating import render_page
from connector_app.tenancy import get_for_seller_or_404


def _selected_ids(form: BulkSelectionForm) -> tuple[list[str], int | None]:
    """The ids to confirm, and (for "all matching") how many requests the view has in all."""
    if form.scope.data == "matching" and form.view.data is not None:
        ids, total = matching_request_ids(current_user.id, form.view.data, services.MAX_BULK + 1)
        return ids, total
    ids = request.form.getlist("request_ids")
    if any(parse_key(request_id) is None for request_id in ids):
        abort(404)  # no marketplace id looks like that
    return list(dict.fromkeys(ids)), None


@bp.post("/bulk/confirm")
@login_required
def bulk_confirm():
    """What approving (or rejecting) the selection would do; nothing is sent from here."""
    form = BulkSelectionForm()
    if not form.validate_on_submit():
        abort(400)
    verb = form.verb.data if form.verb.data in bulk_plan.VERBS else bulk_plan.APPROVE
    ids, total = _selected_ids(form)
    message = None
    if not ids:
        message = "Select at least one request first (tick the boxes in the list)."
    elif len(ids) > services.MAX_BULK:
        shown = f"{total:,}" if total else f"more than {services.MAX_BULK}"
        message = (
            f"{shown} requests are selected; one bulk decision takes at most {services.MAX_BULK}. "
            "Narrow the list first (for example by shop, type or date)."
        )
    if message:
        return render_page("actions/bulk_confirm.html", "confirm", status=400, message=message, plan=None)
    try:
        plan = bulk_plan.plan(current_user.id, verb, ids)
    except LookupError:
        abort(404)  # someone else's id, or a made-up one: never confirm which
    confirm = BulkForm(formdata=None, idempotency_key=new_idempotency_key(), tab=request.form.get("tab", ""))
    confirm.reject_reason.choices = choices((r.name, r.text or r.name) for r in plan.reasons)
    return render_page(
        "actions/bulk_confirm.html",
        "confirm",
        plan=plan,
        form=confirm,
        selected_ids=ids,
        message=None,
        back=url_for("returns.index"),
    )


def _choice(form: BulkForm, plan: bulk_plan.BulkPlan | None) -> services.BulkChoice:
    items = []
    for value in request.form.getlist("items"):
        request_id, _, decision = value.partition(":")
        if parse_key(request_id) is None or not decision.isidentifier():
            abort(404)
        items.append((request_id, decision))
    if plan is None:
        return services.BulkChoice(items)
    reason = form.reject_reason.data or None
    texts = {r.name: r.text for r in plan.reasons}
    return services.BulkChoice(
        items,
        reject_reason=reason,
        reject_reason_text=texts.get(reason) if reason else None,
        comment=(form.comment.data or "").strip() or None,
    )


@bp.post("/bulk")
@login_required
def bulk():
    form = BulkForm()
    if not form.validate_on_submit():
        abort(400)
    rejecting = request.form.get("verb") == bulk_plan.REJECT
    plan = None
    if rejecting:  # the reason must still be one TikTok offers for every request of the selection
        ids = [value.partition(":")[0] for value in request.form.getlist("items")]
        try:
            plan = bulk_plan.plan(current_user.id, bulk_plan.REJECT, [i for i in ids if parse_key(i)])
        except LookupError:
            abort(404)
        if form.reject_reason.data not in plan.reason_names:
            message = "Choose one of TikTok's reasons that fits every selected request."
            if plan.reasons_loading or plan.reasons_error:
                message = plan.reasons_error or "TikTok's reasons are being loaded; try again in a moment."
            return render_page("actions/bulk.html", "progress", bulk=None, message=message, status=400)
    try:
        started = services.start_bulk(
            current_user.id,
            current_user.email,
            form.idempotency_key.data,
            _choice(form, plan),
            form.tab.data,
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
    """A decision job's progress: a bulk decision, or one decision (shown in its respond panel)."""
    return show_job(get_for_seller_or_404(BulkAction, id=job_id))
