from connector_app.marketplaces.tiktok import sign, verify_webhook, webhook_signature

WEBHOOK_BODY = (
    b'{"type":1,"shop_id":"7494726673780148744","timestamp":1664095733,"data":{"order_id":"576684019603311365",'
    b'"order_status":"AWAITING_SHIPMENT","update_time":1664095610}}'
)
WEBHOOK_SIG = "21109834de72ec53c9959716d8514ae388ce1f123e5ffdcafc46713fcdf62b27"


def test_official_get_vector():
    params = {"app_key": "29a39d", "timestamp": "1623812664"}
    expected = "b596b73e0cc6de07ac26f036364178ab16b0a907af13d43f0a0cd2345f582dc8"
    assert sign("e59af819cc", "/authorization/202309/shops", params) == expected


def test_simple_vector():
    expected = "d3cb7fe11ecae942802ceeca67e7cf10120cc12f1517d45fbc1c8cfe5413c80f"
    assert sign("app_secret", "/test-api", {"foo": "bar"}) == expected


def test_post_vector_with_body_and_unsorted_params():
    params = {
        "timestamp": "1623812664",
        "sort_order": "ASC",
        "shop_cipher": "ROW_abc",
        "app_key": "29a39d",
        "sort_field": "update_time",
        "page_size": "50",
    }
    body = b'{"update_time_ge":1690340825,"return_status":["RETURN_OR_REFUND_REQUEST_PENDING"]}'
    expected = "da3d0416e749cf6efdfe02f41e0aed62136e8e580d60f90a641e6a7310475953"
    assert sign("e59af819cc", "/return_refund/202309/returns/search", params, body) == expected


def test_sign_and_access_token_are_not_signed():
    base = {"app_key": "29a39d", "timestamp": "1623812664"}
    with_extras = {**base, "sign": "whatever", "access_token": "tok"}
    assert sign("e59af819cc", "/authorization/202309/shops", with_extras) == sign(
        "e59af819cc", "/authorization/202309/shops", base
    )


def test_signature_is_lowercase_hex_and_depends_on_body_bytes():
    params = {"app_key": "k", "timestamp": "1"}
    compact = sign("s", "/p", params, b'{"a":1}')
    spaced = sign("s", "/p", params, b'{"a": 1}')
    assert compact != spaced
    assert compact == compact.lower() and len(compact) == 64


def test_webhook_vector():
    assert webhook_signature("fake_app_key", "fake_app_secret", WEBHOOK_BODY) == WEBHOOK_SIG


def test_verify_webhook_accepts_the_right_signature_only():
    assert verify_webhook("fake_app_key", "fake_app_secret", WEBHOOK_BODY, WEBHOOK_SIG)
    assert not verify_webhook("fake_app_key", "fake_app_secret", WEBHOOK_BODY + b" ", WEBHOOK_SIG)
    assert not verify_webhook("fake_app_key", "fake_app_secret", WEBHOOK_BODY, WEBHOOK_SIG.upper()[:-1] + "0")
    assert not verify_webhook("fake_app_key", "fake_app_secret", WEBHOOK_BODY, "")
    assert not verify_webhook("fake_app_key", "fake_app_secret", WEBHOOK_BODY, "Bearer ünïcode")
