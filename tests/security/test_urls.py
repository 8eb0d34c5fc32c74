"""Marketplace-supplied URLs reach an href/src only when https: (or the configured sandbox origin)."""

from __future__ import annotations

import pytest

from connector_app.extensions import db
from connector_app.listings.models import EtsyListing
from connector_app.safe_urls import safe_url

HOSTILE = [
    "javascript:alert(document.domain)",
    " javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "http://evil.example/listing/1",
    "//evil.example/x",
    "https:/no-host",
    "https://ok.example/\x00x",
]


@pytest.mark.parametrize("url", HOSTILE)
def test_unsafe_urls_are_dropped(app, url):
    with app.test_request_context():
        assert safe_url(url) is None


def test_https_and_the_sandbox_origin_are_kept(app):
    with app.test_request_context():
        assert safe_url("https://www.etsy.com/listing/11") == "https://www.etsy.com/listing/11"
        sandbox = app.config["TIKTOK_API_URL"].rstrip("/") + "/img/1.png"
        assert safe_url(sandbox) == sandbox


def test_a_javascript_listing_url_renders_as_plain_text(app, logged_in, seller, factories):
    connection = factories.etsy_connection(seller, etsy_shop_id="4100")
    with app.app_context():
        db.session.add(
            EtsyListing(
                seller_id=seller.id,
                etsy_connection_id=connection.id,
                listing_id="1",
                title="Evil mug",
                url="javascript:alert(document.domain)",
            )
        )
        db.session.commit()
    page = logged_in.get("/listings").get_data(as_text=True)
    assert "Evil mug" in page and "javascript:" not in page
