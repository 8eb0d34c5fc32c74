"""US shops reject a buyer's cancellation by shipping the order: no Reject button, a plain "ship it",
and TikTok (the sandbox) refuses the API call for US shops."""

from __future__ import annotations

import pytest

from connector_app.actions.decisions import DECISIONS_BY_SLUG
from connector_app.actions.refusals import SHIP_TO_KEEP, explain_refusal
from connector_app.connect.clients import tiktok_client_for
from connector_app.connect.models import TikTokShop
from connector_app.extensions import db
from connector_app.marketplaces.errors import RequestRefused
from connector_app.returns.models import ReturnRequest
from tests.actions.helpers import connect_sandbox_shop, import_request

pytestmark = pytest.mark.integration


def _pending_cancellation(app, sandbox, factories, seller, region: str):
    shop_id = next(s["id"] for s in sandbox.server.shops() if s["region"] == region)
    [item] = sandbox.take("SELLER_RESPOND_CANCEL", shop_id=shop_id)
    shop = connect_sandbox_shop(app, sandbox.server, factories, seller, sandbox.remote_shop(shop_id))
    import_request(app, shop, item["id"], item["kind"])
    return shop, item


def test_a_us_shop_is_told_to_ship_the_order_instead(app, logged_in, sandbox, factories, seller):
    shop, item = _pending_cancellation(app, sandbox, factories, seller, "US")
    panel = logged_in.get(f"/actions/{item['id']}").get_data(as_text=True)
    assert "Approve cancellation" in panel
    assert ">Reject cancellation</a>" not in panel and "/reject_cancellation" not in panel
    assert "Want to keep the order? Ship it." in panel
    assert logged_in.get(f"/actions/{item['id']}/reject_cancellation").status_code == 409

    with app.app_context():
        client = tiktok_client_for(db.session.get(TikTokShop, shop.id))
        with pytest.raises(RequestRefused) as refused:
            client.reject_cancellation(
                item["id"], reject_reason="seller_reject_cancel_already_shipped", idempotency_key="us-1"
            )
        request = db.session.query(ReturnRequest).filter_by(request_id=item["id"]).one()
        sentence = explain_refusal(refused.value, request, DECISIONS_BY_SLUG["reject_cancellation"])
    assert sentence == SHIP_TO_KEEP and "ship the order to keep it" in sentence
    assert sandbox.server.all_requests(shop.shop_id)  # still there, and still pending:
    assert next(r for r in sandbox.server.all_requests(shop.shop_id) if r["id"] == item["id"])["next_action"]


def test_other_markets_still_reject_cancellations(app, logged_in, sandbox, factories, seller):
    _, item = _pending_cancellation(app, sandbox, factories, seller, "GB")
    panel = logged_in.get(f"/actions/{item['id']}").get_data(as_text=True)
    assert "/reject_cancellation" in panel and "Ship it" not in panel
