"""Ship from the app: the shipping section (an htmx fragment that polls while carriers load or a
shipment is on its way), the ship and correct-tracking POSTs, and the seller's answer to a task.

Every write is a CSRF-protected POST that records a row and queues a job after the commit; no view
calls TikTok. Invalid input re-renders the page with the form as typed and a 4xx.
"""

from __future__ import annotations

from functools import partial

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user, login_required

from connector_app.extensions import db
from connector_app.inputs import parse_key
from connector_app.orders import bp, shipping
from connector_app.orders import queries as q
from connector_app.orders.carriers import carriers_for
from connector_app.orders.models import (
    SHIP_CHECK,
    SHIP_DONE,
    SHIP_WITHDRAWN,
    Order,
    Shipment,
    ShipmentLine,
)
from connector_app.orders.routes import detail_context
from connector_app.templating import is_htmx, render_page
from connector_app.tenancy import for_seller, get_for_seller_or_404
from connector_app.timeutil import utcnow

POLL_DONE = 286  # htmx: stop polling


@bp.get("/<id:order_pk>/shipping")
@login_required
def shipping_fragment(order_pk: int):
    """The shipping section alone (htmx polls it), or the whole page without htmx."""
    order = get_for_seller_or_404(Order, id=order_pk)
    context = detail_context(order)
    response = render_page("orders/detail.html", "shipping", **context)
    if is_htmx() and not context["shipping_busy"]:
        response.status_code = POLL_DONE
        response.headers["HX-Trigger"] = "order-shipping-settled"
    response.headers["Cache-Control"] = "no-store"
    return response


def _form() -> dict:
    return {
        "key": parse_key(request.form.get("key")) or "",
        "carrier": (request.form.get("carrier") or "")[:32],
        "tracking": (request.form.get("tracking") or "")[:100],
        "lines": [v[:32] for v in request.form.getlist("lines")][:200],
    }


def _answer(order: Order, form: dict, error: shipping.ShipError | None, anchor: str = "ship-title"):
    if error is None:
        if is_htmx():
            return render_page("orders/detail.html", "shipping", **detail_context(order))
        return redirect(url_for("orders.detail", order_pk=order.id, _anchor=anchor), 303)
    db.session.rollback()  # nothing of a refused form is kept
    order = get_for_seller_or_404(Order, id=order.id)
    response = render_page(
        "orders/detail.html", "shipping", status=error.status, **detail_context(order, form, str(error))
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _submit(order_pk: int, form: dict, record) -> object:
    """A ship or correction POST: a form without its key is out of date; otherwise ``record`` writes the
    shipment (``shipping.request_shipment`` / ``request_correction``) or refuses with a ShipError."""
    order = get_for_seller_or_404(Order, id=order_pk)
    if not form["key"]:
        return _answer(order, form, shipping.ShipError("The form is out of date: reload the page."))
    lines = q.lines_for(order.seller_id, [order.id]).get(order.id, [])
    try:
        record(
            order,
            lines,
            key=form["key"],
            actor=current_user.email,
            provider_id=form["carrier"],
            tracking=form["tracking"],
            carriers=carriers_for(order),
        )
    except shipping.ShipError as exc:
        return _answer(order, form, exc)
    return _answer(order, form, None)


@bp.post("/<id:order_pk>/ship")
@login_required
def ship(order_pk: int):
    form = _form()
    return _submit(order_pk, form, partial(shipping.request_shipment, line_ids=form["lines"]))


@bp.post("/<id:order_pk>/tracking")
@login_required
def correct_tracking(order_pk: int):
    return _submit(order_pk, {**_form(), "fixing": True}, shipping.request_correction)


@bp.post("/shipments/<id:shipment_pk>/resolve")
@login_required
def shipment_resolved(shipment_pk: int):
    """The seller checked a shipment TikTok did not confirm: shipped after all, or not (items free)."""
    row = db.session.scalars(
        for_seller(Shipment, current_user.id).where(Shipment.id == shipment_pk).with_for_update()
    ).first()
    if row is None:
        abort(404)
    found = request.form.get("found")
    if found not in ("shipped", "not_shipped"):
        abort(400, "Say whether TikTok shows it shipped.")
    if row.state != SHIP_CHECK:
        flash("That task was already closed.")
        return redirect(url_for("orders.detail", order_pk=row.order_pk, _anchor="ship-title"), 303)
    row.done_at = utcnow()
    if found == "shipped":
        row.state = SHIP_DONE
        row.message = f"Confirmed shipped in Seller Center by {current_user.email}."
    else:
        row.state = SHIP_WITHDRAWN
        row.message = (
            f"Not shipped on TikTok (checked by {current_user.email}): the items can be shipped again."
        )
        row.correction_of = None
        for claim in db.session.scalars(
            for_seller(ShipmentLine, current_user.id).where(ShipmentLine.shipment_pk == row.id)
        ):
            db.session.delete(claim)
    db.session.flush()
    return redirect(url_for("orders.detail", order_pk=row.order_pk, _anchor="ship-title"), 303)
