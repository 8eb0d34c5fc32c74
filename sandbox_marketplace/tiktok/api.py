"""Read endpoints: authorized shops, search, return records and reject reasons."""

from __future__ import annotations

from flask import Response, request

from .. import domain as d
from .. import records
from ..core import sandbox
from . import bp
from . import envelope as e
from .guard import authenticate
from .search import CANCELS, RETURNS, search


@bp.get("/authorization/202309/shops")
def authorized_shops() -> Response:
    caller = authenticate(shop_scoped=False)
    rows = (
        sandbox()
        .store.conn()
        .execute("SELECT * FROM tt_shop WHERE seller_id=? ORDER BY id", (caller.seller_id,))
    )
    shops = [
        {
            "id": r["id"],
            "name": r["name"],
            "region": r["region"],
            "seller_type": r["seller_type"],
            "cipher": r["cipher"],
            "code": r["code"],
        }
        for r in rows
    ]
    return e.ok({"shops": shops})


@bp.post("/return_refund/202309/returns/search")
def search_returns() -> Response:
    caller = authenticate()
    return e.ok(search(RETURNS, caller.shop_id))


@bp.post("/return_refund/202309/cancellations/search")
def search_cancellations() -> Response:
    caller = authenticate()
    return e.ok(search(CANCELS, caller.shop_id))


def load_request(kind: str | None, request_id: str, shop_id: str):  # noqa: ANN201
    """The request row of this shop, or the "not found" error (another shop's id is not found too)."""
    row = None
    if request_id.isdigit() and len(request_id) < 20:
        row = (
            sandbox().store.conn().execute("SELECT * FROM request WHERE id=?", (int(request_id),)).fetchone()
        )
    if row is None or row["shop_id"] != shop_id or (kind is not None and row["kind"] != kind):
        noun = {"return": "return", "cancel": "cancellation", None: "return or cancellation"}[kind]
        raise e.TikTokError(e.INVALID_PARAMS, f"The {noun} {request_id} does not exist in this shop.", 404)
    return row


@bp.get("/return_refund/202309/returns/<return_id>/records")
def return_records(return_id: str) -> Response:
    caller = authenticate()
    row = load_request(d.RETURN, return_id, caller.shop_id)
    return e.ok({"records": records.all_records(sandbox().store.conn(), row)})


@bp.get("/return_refund/202309/reject_reasons")
def reject_reasons() -> Response:
    caller = authenticate()
    target = request.args.get("return_or_cancel_id", "")
    if not target:
        raise e.TikTokError(e.INVALID_PARAMS, "return_or_cancel_id is required.")
    row = load_request(None, target, caller.shop_id)
    reasons = d.reject_reasons(row["kind"], row["status"], caller.region)
    return e.ok({"reasons": [{"name": name, "text": text} for name, text in reasons]})
