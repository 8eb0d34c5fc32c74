"""Ship from the app: the carriers load in the background, a shipment is recorded once and sent once,
unsure outcomes are read back (never sent again), and what cannot be shipped says why."""

from __future__ import annotations

import html
import json
import re
from datetime import timedelta

import pytest
import requests
import responses
from sqlalchemy import func, select

from connector_app.extensions import db
from connector_app.orders import shipping_jobs
from connector_app.orders.models import (
    SHIP_CHECK,
    SHIP_DONE,
    SHIP_QUEUED,
    SHIP_REFUSED,
    SHIP_SENDING,
    Order,
    Shipment,
    ShipmentLine,
)
from connector_app.timeutil import utcnow
from tests.actions.helpers import run_jobs
from tests.orders.helpers import line, order, store

OPTION = "7091146663229654785"
ORDER_ID = "576000000000000501"
PACKAGE = "1152921504606846977"
KEY = re.compile(r'name="key" value="([^"]+)"')


@pytest.fixture
def shop(factories, seller):
    """A US TikTok shop; Etsy stock does not follow sales here (tests/orders/test_stock.py covers it)."""
    return factories.tiktok_shop(seller, region="US")


@pytest.fixture
def api(app):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield TikTok(rsps, app.config["TIKTOK_API_URL"])


class TikTok:
    """TikTok's fulfilment calls as ``responses`` stubs; counts the ship calls (POSTs)."""

    def __init__(self, rsps, base: str) -> None:
        self.rsps, self.base = rsps, base
        self.shipped_with: str | None = None  # tracking number TikTok has, if shipped
        self.sends: list[dict] = []
        self.fault: object = None  # what the next ship call does instead of answering
        rsps.get(
            f"{base}/logistics/202309/delivery_options/{OPTION}/shipping_providers",
            json=_ok({"shipping_providers": [{"id": "P1", "name": "USPS"}, {"id": "P2", "name": "UPS"}]}),
        )
        rsps.add_callback(responses.POST, f"{base}/fulfillment/202309/orders/{ORDER_ID}/packages", self._ship)
        rsps.add_callback(responses.POST, f"{base}/fulfillment/202309/packages/{PACKAGE}/ship", self._ship)
        rsps.add_callback(
            responses.POST, f"{base}/fulfillment/202309/packages/{PACKAGE}/shipping_info/update", self._fix
        )
        rsps.add_callback(responses.GET, f"{base}/order/202507/orders", self._detail)
        rsps.add_callback(responses.GET, f"{base}/fulfillment/202309/packages/{PACKAGE}", self._package)

    def _ship(self, request):
        body = json.loads(request.body)
        self.sends.append(body)
        tracking = body.get("tracking_number") or body["self_shipment"]["tracking_number"]
        fault, self.fault = self.fault, None
        if fault == "refuse":
            return 200, {}, json.dumps(_error(21011025, "The tracking number has already been used."))
        if self.shipped_with:
            return 200, {}, json.dumps(_error(21008099, "The package has already been shipped."))
        self.shipped_with = tracking
        if fault == "timeout":  # applied, but the answer never came back
            raise requests.ReadTimeout("read timed out")
        return 200, {}, json.dumps(_ok({"order_id": ORDER_ID, "package_id": PACKAGE}))

    def _fix(self, request):
        self.sends.append(json.loads(request.body))
        self.shipped_with = json.loads(request.body)["tracking_number"]
        return 200, {}, json.dumps(_ok({}))

    def _detail(self, request):
        shipped = self.shipped_with
        lines = [
            {
                "id": f"9{n:05d}",
                "sku_id": "171",
                "seller_sku": "SKU-1",
                "product_name": "Mug SKU-1",
                "sale_price": "12.50",
                "currency": "USD",
                "display_status": "AWAITING_COLLECTION" if shipped else "AWAITING_SHIPMENT",
                "package_id": PACKAGE if shipped else "",
                "tracking_number": shipped or "",
            }
            for n in range(2)
        ]
        data = {
            "id": ORDER_ID,
            "status": "AWAITING_COLLECTION" if shipped else "AWAITING_SHIPMENT",
            "fulfillment_type": "FULFILLMENT_BY_SELLER",
            "create_time": 1_900_000_000,
            "update_time": 1_900_000_900 if shipped else 1_900_000_100,
            "paid_time": 1_900_000_050,
            "tracking_number": shipped or "",
            "delivery_option_id": OPTION,
            "line_items": lines,
        }
        return 200, {}, json.dumps(_ok({"orders": [data]}))

    def _package(self, request):
        if not self.shipped_with:
            return 200, {}, json.dumps(_error(21001001, "Package not found."))
        data = {"package_id": PACKAGE, "package_status": "PROCESSING", "tracking_number": self.shipped_with}
        return 200, {}, json.dumps(_ok(data))


def _ok(data: dict) -> dict:
    return {"code": 0, "message": "Success", "request_id": "r", "data": data}


def _error(code: int, message: str) -> dict:
    return {"code": code, "message": message, "request_id": "r", "data": {}}


def _to_ship(status="AWAITING_SHIPMENT", **kw):
    return order(ORDER_ID, status=status, skus=("SKU-1", "SKU-1"), delivery_option_id=OPTION, **kw)


def _pk(app) -> int:
    with app.app_context():
        return db.session.scalar(select(Order.id).where(Order.order_id == ORDER_ID))


def _form(app, client, pk: int) -> str:
    """The ship form: the first look queues the carriers' fetch and says so; then the form lists them."""
    page = client.get(f"/orders/{pk}").get_data(as_text=True)
    if "Loading TikTok's carriers" in page:
        assert 'hx-trigger="every 1s"' in page  # the section polls itself until they are there
        assert run_jobs(app) >= 1
        page = client.get(f"/orders/{pk}").get_data(as_text=True)
    assert "Loading TikTok's carriers" not in page
    return page


def _shipments(app) -> list[Shipment]:
    with app.app_context():
        rows = db.session.scalars(select(Shipment).order_by(Shipment.id)).all()
        db.session.expunge_all()
        return rows


def _ship(client, pk: int, key: str, tracking="9400100000000000000001", carrier="P1", lines=None):
    data = {"key": key, "carrier": carrier, "tracking": tracking, "lines": lines or ["900000", "900001"]}
    return client.post_form(f"/orders/{pk}/ship", data)


def test_carriers_load_in_the_background_and_the_order_ships_once(app, shop, logged_in, api):
    store(app, shop, _to_ship())
    pk = _pk(app)
    cold = logged_in.get(f"/orders/{pk}").get_data(as_text=True)
    assert "Loading TikTok's carriers" in cold and len(api.rsps.calls) == 0  # no call on the web thread
    page = _form(app, logged_in, pk)
    assert '<option value="P1"' in page and "USPS" in page and "Mark Package As Shipped" in page
    key = KEY.search(page).group(1)

    first = _ship(logged_in, pk, key)
    again = _ship(logged_in, pk, key)  # a double click, or the browser sending the form again
    assert first.status_code == 303 and again.status_code == 303
    assert [s.state for s in _shipments(app)] == [SHIP_QUEUED]
    assert "waiting to be sent to TikTok" in logged_in.get(f"/orders/{pk}").get_data(as_text=True)

    run_jobs(app)
    assert len(api.sends) == 1 and "order_line_item_ids" not in api.sends[0]  # the whole order
    (row,) = _shipments(app)
    assert row.state == SHIP_DONE and row.package_id == PACKAGE and row.actor == "seller@example.com"
    page = logged_in.get(f"/orders/{pk}").get_data(as_text=True)
    assert "Shipped with USPS 9400100000000000000001" in page and "— done" in page
    assert "Awaiting collection" in page  # the order was read again after shipping
    assert f'action="/orders/{pk}/ship"' not in page


def test_a_split_shipment_sends_its_items_and_leaves_the_rest_to_ship(app, shop, logged_in, api):
    store(app, shop, _to_ship())
    pk = _pk(app)
    key = KEY.search(_form(app, logged_in, pk)).group(1)
    assert _ship(logged_in, pk, key, lines=["900001"]).status_code == 303
    run_jobs(app)
    assert api.sends[0]["order_line_item_ids"] == ["900001"]


def test_two_tabs_cannot_ship_the_same_items(app, shop, logged_in, api):
    store(app, shop, _to_ship())
    pk = _pk(app)
    tab_one = KEY.search(_form(app, logged_in, pk)).group(1)
    tab_two = KEY.search(_form(app, logged_in, pk)).group(1)
    assert tab_one != tab_two
    assert _ship(logged_in, pk, tab_one).status_code == 303
    second = _ship(logged_in, pk, tab_two, tracking="9400100000000000000002")
    assert second.status_code == 409 and "already shipped or being shipped" in second.get_data(as_text=True)
    run_jobs(app)
    assert len(api.sends) == 1 and len(_shipments(app)) == 1


@pytest.mark.parametrize(
    "data,message",
    [
        ({"tracking": ""}, "Enter the tracking number."),
        ({"tracking": "<b>"}, "Enter the carrier's tracking number"),
        ({"carrier": "P9"}, "Choose a carrier from TikTok's list"),
        ({"lines": ["999999"]}, "already shipped or being shipped"),
        ({"key": "bad key!"}, "The form is out of date"),
    ],
)
def test_bad_input_is_a_4xx_with_the_form_kept_and_nothing_recorded(app, shop, logged_in, api, data, message):
    store(app, shop, _to_ship())
    pk = _pk(app)
    key = KEY.search(_form(app, logged_in, pk)).group(1)
    form = {"key": key, "carrier": "P2", "tracking": "1Z999AA10123456784", "lines": ["900000"], **data}
    response = logged_in.post_form(f"/orders/{pk}/ship", form)
    body = html.unescape(response.get_data(as_text=True))
    assert 400 <= response.status_code < 500 and message in body
    if "tracking" not in data:
        assert 'value="1Z999AA10123456784"' in body  # what the seller typed is still there
    if "carrier" not in data:
        assert '<option value="P2" selected' in body
    assert _shipments(app) == []


def test_without_csrf_nothing_is_recorded(app, shop, logged_in, api):
    store(app, shop, _to_ship())
    pk = _pk(app)
    key = KEY.search(_form(app, logged_in, pk)).group(1)
    response = logged_in.post(
        f"/orders/{pk}/ship", data={"key": key, "carrier": "P1", "tracking": "TRK12345"}
    )
    assert response.status_code == 400 and _shipments(app) == []


def test_another_sellers_order_is_a_404(app, shop, client, auth, factories, api):
    store(app, shop, _to_ship())
    pk = _pk(app)
    other = factories.seller()
    auth.login(other.email)
    for path in (f"/orders/{pk}/ship", f"/orders/{pk}/tracking"):
        response = client.post_form(path, {"key": "k1", "carrier": "P1", "tracking": "TRK12345"})
        assert response.status_code == 404
    assert client.get(f"/orders/{pk}/shipping").status_code == 404
    assert _shipments(app) == []


@pytest.mark.parametrize(
    "kw,why",
    [
        ({"status": "ON_HOLD"}, "On hold"),
        ({"is_buyer_request_cancel": True}, "The buyer asked to cancel"),
        ({"fulfillment_type": "FULFILLMENT_BY_TIKTOK"}, "TikTok ships Fulfilled-by-TikTok orders"),
    ],
)
def test_what_cannot_be_shipped_says_why_and_the_post_is_refused(app, shop, logged_in, api, kw, why):
    store(app, shop, _to_ship(**kw))
    pk = _pk(app)
    page = logged_in.get(f"/orders/{pk}").get_data(as_text=True)
    assert why in page and "Mark shipped on TikTok" not in page
    response = _ship(logged_in, pk, "k-blocked")
    assert response.status_code == 409 and why in response.get_data(as_text=True)
    assert _shipments(app) == [] and len(api.rsps.calls) == 0


def test_a_timeout_after_the_send_is_read_back_not_sent_again(app, shop, logged_in, api):
    store(app, shop, _to_ship())
    pk = _pk(app)
    _ship(logged_in, pk, KEY.search(_form(app, logged_in, pk)).group(1))
    api.fault = "timeout"
    run_jobs(app)
    (row,) = _shipments(app)
    assert len(api.sends) == 1 and row.state == SHIP_DONE and row.package_id == PACKAGE


def test_an_unconfirmed_send_becomes_a_task_and_is_never_resent(app, shop, logged_in, api):
    store(app, shop, _to_ship())
    pk = _pk(app)
    _ship(logged_in, pk, KEY.search(_form(app, logged_in, pk)).group(1))
    api.fault = "timeout"
    api.rsps.replace(responses.GET, f"{api.base}/order/202507/orders", json=_ok({"orders": []}))
    run_jobs(app)
    (row,) = _shipments(app)
    assert row.state == SHIP_CHECK and len(api.sends) == 1
    with app.app_context():
        assert shipping_jobs.send_shipment(row.seller_id, row.id) == "nothing to do"
    assert len(api.sends) == 1
    page = logged_in.get(f"/orders/{pk}").get_data(as_text=True)
    assert "your turn: check it in Seller Center" in page and "Mark shipped on TikTok" not in page
    logged_in.post_form(f"/orders/shipments/{row.id}/resolve", {"found": "not_shipped"})
    page = logged_in.get(f"/orders/{pk}").get_data(as_text=True)
    assert "not shipped (you checked)" in page and "Mark shipped on TikTok" in page  # free to ship again


def test_a_worker_killed_after_sending_is_read_back_by_the_sweep(app, shop, logged_in, api):
    store(app, shop, _to_ship())
    pk = _pk(app)
    _ship(logged_in, pk, KEY.search(_form(app, logged_in, pk)).group(1))
    with app.app_context():
        from connector_app.extensions import rq

        rq.queue.empty()  # the job died with the worker (SIGKILL right after TikTok applied the call)
        row = db.session.scalars(select(Shipment)).one()
        row.state = SHIP_SENDING
        db.session.commit()
    api.shipped_with = "9400100000000000000001"  # what the killed job's call did on TikTok
    with app.app_context():
        row = db.session.scalars(select(Shipment)).one()
        row.sending_at = utcnow()  # sent moments ago: another run may still be waiting for TikTok
        db.session.commit()
        with pytest.raises(shipping_jobs.StillSending):
            shipping_jobs.send_shipment(row.seller_id, row.id)
        row = db.session.scalars(select(Shipment)).one()
        row.sending_at = utcnow() - timedelta(minutes=5)
        db.session.execute(Shipment.__table__.update().values(updated_at=utcnow() - timedelta(hours=1)))
        db.session.commit()
        assert shipping_jobs.sweep_shipments() == 1
    run_jobs(app)
    (row,) = _shipments(app)
    assert row.state == SHIP_DONE and api.sends == []  # read back, never sent a second time


def test_already_shipped_is_success_after_reading_the_order_back(app, shop, logged_in, api):
    store(app, shop, _to_ship())
    pk = _pk(app)
    _ship(logged_in, pk, KEY.search(_form(app, logged_in, pk)).group(1))
    api.shipped_with = "9400100000000000000009"  # shipped in Seller Center meanwhile
    run_jobs(app)
    (row,) = _shipments(app)
    assert row.state == SHIP_DONE and "9400100000000000000009" in row.message


def test_a_refusal_is_shown_and_the_items_can_be_shipped_again(app, shop, logged_in, api):
    store(app, shop, _to_ship())
    pk = _pk(app)
    _ship(logged_in, pk, KEY.search(_form(app, logged_in, pk)).group(1))
    api.fault = "refuse"
    run_jobs(app)
    (row,) = _shipments(app)
    assert row.state == SHIP_REFUSED and "already used" in row.message
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ShipmentLine)) == 0
    page = logged_in.get(f"/orders/{pk}").get_data(as_text=True)
    assert "TikTok refused it" in page and "Mark shipped on TikTok" in page


def test_the_tracking_number_is_corrected_once(app, shop, logged_in, api):
    store(app, shop, _to_ship())
    pk = _pk(app)
    ship_key = KEY.search(_form(app, logged_in, pk)).group(1)
    _ship(logged_in, pk, ship_key)
    run_jobs(app)
    page = _form(app, logged_in, pk)
    assert "Correct the tracking number (once)" in page
    reused = {"key": ship_key, "carrier": "P2", "tracking": "1Z999AA10123456784"}  # another form's key
    stale = logged_in.post_form(f"/orders/{pk}/tracking", reused)
    assert stale.status_code == 409 and "The form is out of date" in stale.get_data(as_text=True)
    fix = {"key": KEY.search(page).group(1), "carrier": "P2", "tracking": "1Z999AA10123456784"}
    assert logged_in.post_form(f"/orders/{pk}/tracking", fix).status_code == 303
    run_jobs(app)
    assert api.sends[-1] == {"tracking_number": "1Z999AA10123456784", "shipping_provider_id": "P2"}
    assert _shipments(app)[-1].state == SHIP_DONE
    page = logged_in.get(f"/orders/{pk}").get_data(as_text=True)
    assert "already corrected once" in page and "Correct the tracking number (once)" not in page
    again = logged_in.post_form(
        f"/orders/{pk}/tracking", {"key": "another-form", "carrier": "P1", "tracking": "1Z999AA10123456799"}
    )
    assert again.status_code == 409 and "already corrected once" in again.get_data(as_text=True)
    assert len(api.sends) == 2


def test_sea_shops_ship_their_package(app, factories, seller, logged_in, api):
    sea = factories.tiktok_shop(seller, region="SG")
    lines = tuple(line(n, "SKU-1", package_id=PACKAGE) for n in range(2))
    store(app, sea, _to_ship(lines=lines))
    pk = _pk(app)
    page = _form(app, logged_in, pk)
    assert "Ship Package" in page
    assert _ship(logged_in, pk, KEY.search(page).group(1)).status_code == 303
    run_jobs(app)
    assert api.sends == [
        {"self_shipment": {"tracking_number": "9400100000000000000001", "shipping_provider_id": "P1"}}
    ]
    assert _shipments(app)[0].state == SHIP_DONE


def test_racing_submits_record_one_shipment(app, shop, api):
    """Four submits at once (the same form twice, two other tabs): one shipment, the rest told so."""
    import threading

    from connector_app.orders import shipping
    from connector_app.orders.carriers import Carriers
    from connector_app.orders.queries import lines_for
    from connector_app.transactions import job_step

    store(app, shop, _to_ship())
    pk = _pk(app)
    barrier, outcomes = threading.Barrier(4), []
    carriers = Carriers([("P1", "USPS")])

    def submit(key: str) -> None:
        with app.app_context():
            target = db.session.get(Order, pk)
            lines = lines_for(target.seller_id, [pk])[pk]
            barrier.wait()
            try:
                with job_step():
                    row = shipping.request_shipment(
                        target, lines, key=key, actor="a@example.com", provider_id="P1",
                        tracking="9400100000000000000001", line_ids=["900000", "900001"], carriers=carriers,
                    )  # fmt: skip
                    outcomes.append(("recorded", row.id))
            except shipping.ShipError as exc:
                outcomes.append(("refused", exc.status))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=submit, args=(key,)) for key in ("form-a", "form-a", "tab-b", "tab-c")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    (row,) = _shipments(app)
    assert len(outcomes) == 4 and {o for o in outcomes if o[0] == "recorded"} == {("recorded", row.id)}
    assert all(o == ("refused", 409) for o in outcomes if o[0] == "refused")
    run_jobs(app)
    assert len(api.sends) == 1


def test_progress_polls_until_the_shipment_is_settled_and_the_action_log_lists_it(app, shop, logged_in, api):
    store(app, shop, _to_ship())
    pk = _pk(app)
    _ship(logged_in, pk, KEY.search(_form(app, logged_in, pk)).group(1))
    waiting = logged_in.htmx("GET", f"/orders/{pk}/shipping")
    body = waiting.get_data(as_text=True)
    assert waiting.status_code == 200 and "<html" not in body and 'hx-trigger="every 1s"' in body
    assert 'role="progressbar"' in body and "being sent" not in body and "waiting to be sent" in body
    run_jobs(app)
    settled = logged_in.htmx("GET", f"/orders/{pk}/shipping")
    assert settled.status_code == 286 and settled.headers["HX-Trigger"] == "order-shipping-settled"
    assert "every 1s" not in settled.get_data(as_text=True)
    log = html.unescape(logged_in.get("/actions").get_data(as_text=True))
    assert f"Order {ORDER_ID}" in log and "Marked shipped: USPS 9400100000000000000001 (2 items)" in log
    assert f'href="/orders/{pk}#ship-title"' in log and "Done" in log
    shipments = html.unescape(logged_in.get("/actions?show=shipments").get_data(as_text=True))
    assert "Marked shipped: USPS 9400100000000000000001 (2 items)" in shipments and ">Shipment<" in shipments
    others = html.unescape(logged_in.get("/actions?show=pushes").get_data(as_text=True))
    assert "Marked shipped" not in others and "No catalog pushes yet" in others
