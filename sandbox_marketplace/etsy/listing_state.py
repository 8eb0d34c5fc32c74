"""updateListing (``PATCH /v3/application/shops/{shop_id}/listings/{listing_id}``): only ``state`` here.

The connector deactivates a listing whose last unit sold on TikTok (Etsy refuses an inventory whose
offerings are all 0) and reactivates it when stock returns. Etsy refuses to activate a listing with
no stock, as it does for a listing that sold out on Etsy.com.
"""

from __future__ import annotations

from flask import Response, jsonify, request

from .. import clock
from ..core import sandbox
from . import bp
from .api import EtsyError, _listing, _own_shop, _user

STATES = ("active", "inactive")


@bp.patch("/v3/application/shops/<int:shop_id>/listings/<int:listing_id>")
def update_listing(shop_id: int, listing_id: int) -> Response:
    _own_shop(shop_id, _user("listings_w"))
    body = request.get_json(silent=True) or request.form.to_dict()
    state = body.get("state") if isinstance(body, dict) else None
    if state not in STATES:
        raise EtsyError(400, "state must be active or inactive.")
    sb = sandbox()
    with sb.store.write() as conn:
        row = conn.execute(
            "SELECT l.*, s.currency_code FROM etsy_listing l JOIN etsy_shop s ON s.shop_id=l.shop_id "
            "WHERE l.listing_id=? AND l.shop_id=?",
            (listing_id, shop_id),
        ).fetchone()
        if row is None:
            raise EtsyError(404, f"Listing with listing_id {listing_id} not found.")
        if state == "active" and row["quantity"] <= 0:
            raise EtsyError(400, "Cannot activate a listing with a quantity of 0.")
        conn.execute(
            "UPDATE etsy_listing SET state=?, updated_timestamp=? WHERE listing_id=?",
            (state, int(clock.now()), listing_id),
        )
        row = conn.execute(
            "SELECT l.*, s.currency_code FROM etsy_listing l JOIN etsy_shop s ON s.shop_id=l.shop_id "
            "WHERE l.listing_id=?",
            (listing_id,),
        ).fetchone()
    return jsonify(_listing(row))
