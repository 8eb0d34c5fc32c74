"""Respond to requests (one at a time, with a confirmation step) and approve several at once.

Every view loads the seller's request through the tenancy helpers first (someone else's id is a 404),
then checks the decision is one TikTok accepts now, then acts.
"""

from __future__ import annotations

from flask import abort, make_response
from flask_login import current_user, login_required

from connector_app.actions import bp, services
from connector_app.actions.decisions import DECISIONS_BY_SLUG
from connector_app.actions.forms import RespondForm
from connector_app.actions.models import ActionAudit
from connector_app.extensions import db
from connector_app.marketplaces.errors import MarketplaceError
from connector_app.returns.models import ReturnRequest
from connector_app.returns.signals import notify_requests_changed
from connector_app.templating import is_htmx, render_page
from connector_app.tenancy import for_seller, get_for_seller_or_404

HISTORY_LIMIT = 100


@bp.get("")
@login_required
def index():
    """The seller's action log: who decided what, when, and what TikTok answered."""
    audits = db.session.scalars(
        for_seller(ActionAudit)
        .order_by(ActionAudit.created_at.desc(), ActionAudit.id.desc())
        .limit(HISTORY_LIMIT)
    ).all()
    return render_page("actions/index.html", audits=audits, limit=HISTORY_LIMIT)


@bp.get("/<key:request_id>")
@login_required
def panel(request_id: str):
    """The respond panel of one request (the detail page includes it; htmx reloads it)."""
    return_request = get_for_seller_or_404(ReturnRequest, request_id=request_id)
    return render_page("actions/panel.html", "panel", return_request=return_request)


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
        existing = services.find_audit(current_user.id, form.idempotency_key.data or "")
        if existing is not None and existing.request_pk == return_request.id:
            return _resend_or_show(return_request, existing)
    context = {"return_request": return_request, "decision": chosen, "form": form}
    if chosen not in services.allowed_decisions(return_request):
        return render_page("actions/confirm.html", "confirm", status=409, unavailable=True, **context)
    if chosen.is_reject:
        try:
            reasons = services.reject_reasons(return_request)
        except MarketplaceError as exc:
            return render_page(
                "actions/confirm.html", "confirm", status=502, error=exc.seller_message(), **context
            )
        form.reject_reason.choices = [(r.name, r.text or r.name) for r in reasons]
        if not reasons:
            msg = "TikTok offers no reasons to reject this request, so it cannot be rejected here."
            return render_page("actions/confirm.html", "confirm", status=409, error=msg, **context)
    else:
        del form.reject_reason
    if form.validate_on_submit():
        reason = form.reject_reason.data if chosen.is_reject else None
        try:
            audit, created = services.claim(
                return_request,
                chosen,
                form.idempotency_key.data,
                current_user.email,
                reject_reason=reason,
                reject_reason_text=dict(form.reject_reason.choices).get(reason) if reason else None,
                comment=(form.comment.data or "").strip() or None,
            )
        except services.KeyConflict:
            abort(400)
        db.session.commit()  # the claim is durable before TikTok is called
        if not created:
            return _resend_or_show(return_request, audit)
        return _send(return_request, audit)
    if not form.is_submitted():
        form.idempotency_key.data = services.new_idempotency_key()
    status = 400 if form.errors else 200
    return render_page("actions/confirm.html", "confirm", status=status, **context)


def _resend_or_show(return_request: ReturnRequest, audit: ActionAudit):
    if services.needs_sending(audit):
        return _send(return_request, audit)
    return _outcome(return_request, audit, repeated=True)


def _send(return_request: ReturnRequest, audit: ActionAudit):
    outcome = services.send(audit)
    db.session.commit()
    notify_requests_changed(return_request.seller_id, outcome.changed_pks, "action")
    return _outcome(return_request, audit, repeated=False)


def _outcome(return_request: ReturnRequest, audit: ActionAudit, *, repeated: bool):
    response = make_response(
        render_page(
            "actions/panel.html", "panel", return_request=return_request, audit=audit, repeated=repeated
        )
    )
    if is_htmx():
        response.headers["HX-Trigger"] = "returns-changed"
    return response
