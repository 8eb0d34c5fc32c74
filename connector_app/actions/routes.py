"""Respond to requests (one at a time, with a confirmation step) and show how a decision is going.

Every view loads the seller's request through the tenancy helpers first (someone else's id is a 404),
then checks the decision is one TikTok accepts now, then acts. Acting never calls TikTok here: the
decision is claimed and queued (``services.start_decision``), and the answer is the job's progress
fragment (with htmx) or a redirect to its progress page (without). Reject reasons come from the cache
a job fills (``reasons``); while they are loading the form says so and polls.
"""

from __future__ import annotations

from flask import abort, make_response, redirect, request, url_for
from flask_login import current_user, login_required

from connector_app.actions import bp, queries, reasons, services
from connector_app.actions import signals as log_signals
from connector_app.actions.decisions import DECISIONS_BY_SLUG, allowed_decisions
from connector_app.actions.forms import RespondForm, new_idempotency_key
from connector_app.actions.models import FINISHED, ActionAudit, BulkAction
from connector_app.extensions import db
from connector_app.forms import choice_labels, choices
from connector_app.inputs import parse_key
from connector_app.returns.models import ReturnRequest
from connector_app.templating import is_htmx, render_page
from connector_app.tenancy import for_seller, get_for_seller_or_404
from connector_app.timeutil import ensure_aware

HISTORY_LIMIT = 100


SHOW = {
    "all": "Everything",
    "decisions": "Decisions",
    "pushes": "Catalog pushes",
    "shipments": "Shipments",
}
SHOW_KINDS = {"pushes": log_signals.PUSH, "shipments": log_signals.SHIPMENT}  # filter → LogEntry.kind


@bp.get("")
@login_required
def index():
    """The seller's action log: who decided what, when, and what TikTok answered, beside what other
    features sent to TikTok (catalog pushes, shipments: ``log_signals.log_entries``).
    ``?show=decisions|pushes|shipments``
    filters; ``?request=`` one request's decisions."""
    show = request.args.get("show", "all")
    if show not in SHOW:
        show = "all"
    request_id = request.args.get("request")
    audits: list[ActionAudit] = []
    entries: list[log_signals.LogEntry] = []
    if request_id:
        if parse_key(request_id) is None:
            abort(404)
        show = "decisions"
    if show in ("all", "decisions"):
        query = for_seller(ActionAudit)
        if request_id:
            query = query.where(ActionAudit.request_id == request_id)
        audits = list(
            db.session.scalars(
                query.order_by(ActionAudit.created_at.desc(), ActionAudit.id.desc()).limit(HISTORY_LIMIT)
            )
        )
        queries.with_requests(current_user.id, audits)
    if show == "all" or show in SHOW_KINDS:
        entries = log_signals.gather(current_user.id, HISTORY_LIMIT)
        if show in SHOW_KINDS:
            entries = [entry for entry in entries if entry.kind == SHOW_KINDS[show]]
    rows = sorted(
        [(a.created_at, "decision", a) for a in audits] + [(e.at, e.kind, e) for e in entries],
        key=lambda row: ensure_aware(row[0]).timestamp(),
        reverse=True,
    )[:HISTORY_LIMIT]
    return render_page(
        "actions/index.html",
        rows=rows,
        limit=HISTORY_LIMIT,
        request_id=request_id or None,
        show=show,
        shows=SHOW,
        kinds=log_signals.KINDS,
    )


def panel_context(return_request: ReturnRequest, **extra) -> dict:
    """What the respond panel shows: the request, the decisions on it so far, and ``extra``."""
    queries.shop_of(return_request)
    return {"return_request": return_request, "history": queries.history_for(return_request), **extra}


@bp.get("/<key:request_id>")
@login_required
def panel(request_id: str):
    """The respond panel of one request (the detail page shows it; htmx reloads it)."""
    return_request = get_for_seller_or_404(ReturnRequest, request_id=request_id)
    return render_page("actions/panel.html", "panel", **panel_context(return_request))


@bp.route("/<key:request_id>/<key:decision>", methods=["GET", "POST"])
@login_required
def respond(request_id: str, decision: str):
    return_request = get_for_seller_or_404(ReturnRequest, request_id=request_id)
    chosen = DECISIONS_BY_SLUG.get(decision)
    if chosen is None:
        abort(404)
    form = RespondForm()
    if form.is_submitted():
        # A repeated submit of the same confirmation form shows the first outcome; it never acts twice.
        existing = queries.find_audit(current_user.id, form.idempotency_key.data or "")
        if existing is not None and existing.request_pk == return_request.id:
            return job_response(services.resume(existing))
    context = {"return_request": queries.load_summary(return_request), "decision": chosen, "form": form}
    if chosen not in allowed_decisions(return_request):
        return render_page("actions/confirm.html", "confirm", status=409, unavailable=True, **context)
    if chosen.is_reject:
        found = reasons.for_request(return_request, chosen)
        if found.loading or found.error:
            status = 200 if request.method == "GET" and found.loading else 503
            return render_page("actions/confirm.html", "confirm", status=status, reasons=found, **context)
        form.reject_reason.choices = choices((r.name, r.text or r.name) for r in found.items)
        if not found.items:
            msg = "TikTok offers no reasons to reject this request, so it cannot be rejected here."
            return render_page("actions/confirm.html", "confirm", status=409, error=msg, **context)
    else:
        del form.reject_reason
    if form.validate_on_submit():
        reason = form.reject_reason.data if chosen.is_reject else None
        try:
            started = services.start_decision(
                return_request,
                chosen,
                form.idempotency_key.data,
                current_user.email,
                reject_reason=reason,
                reject_reason_text=choice_labels(form.reject_reason).get(reason) if reason else None,
                comment=(form.comment.data or "").strip() or None,
            )
        except services.KeyConflict:
            abort(400)
        return job_response(started)
    if not form.is_submitted():
        form.idempotency_key.data = new_idempotency_key()
    status = 400 if form.errors else 200
    return render_page("actions/confirm.html", "confirm", status=status, **context)


def job_response(started: services.Started):
    """After a submit: the job's progress in place (htmx), else its progress page (a redirect for a
    new job, so reloading the page never submits again)."""
    if not is_htmx() and not started.repeated:
        return redirect(url_for("actions.bulk_progress", job_id=started.job.id), code=303)
    return show_job(started.job, repeated=started.repeated)


def show_job(job: BulkAction, *, repeated: bool = False):
    """The progress fragment of a decision job; 286 (htmx stops polling) once it finished."""
    finished = job.state == FINISHED
    waiting = not finished and queries.waiting_for_queue(job)
    queries.load_results(job)
    audit = job.single
    if audit is not None:  # one decision: its progress lives in the request's respond panel
        context = panel_context(
            audit.request, job=job, audit=audit, finished=finished, waiting=waiting, repeated=repeated
        )
        body = render_page("actions/panel.html", "panel", **context)
    else:
        verb = "reject" if any(a.decision.startswith("REJECT") for a in job.results) else "approve"
        body = render_page(
            "actions/bulk.html", "progress", bulk=job, bulk_verb=verb, finished=finished, waiting=waiting
        )
    response = make_response(body)
    if finished and is_htmx():
        response.status_code = 286
        # The grid reloads its rows; a request's page reads the whole request again (header, badges,
        # deadline, buttons, timeline) once its decision is done.
        events = "returns-changed, request-decided" if audit is not None else "returns-changed"
        response.headers["HX-Trigger"] = events
    return response
