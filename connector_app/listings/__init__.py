"""The Etsy side: a cache of the seller's Etsy listings by SKU, and restocking returned items.

It answers the returns pages' ``detail_panels`` (what to do on Etsy) and ``grid_panels`` (links from
returned SKUs to their Etsy listings), refreshes a newly connected Etsy shop (``etsy_connected``) and
restocks completed returns (``requests_changed``).
"""

from flask import Blueprint, Flask

bp = Blueprint("listings", __name__, url_prefix="/listings")

from connector_app.listings import routes  # noqa: E402,F401

PERIODIC_SECONDS = 10 * 60


def init_app(app: Flask) -> None:
    from connector_app.commands import register_periodic
    from connector_app.connect.signals import etsy_connected, etsy_step_panels
    from connector_app.listings import jobs, queries
    from connector_app.listings.tasks import etsy_tasks_panel, stores_panel
    from connector_app.returns.signals import detail_panels, requests_changed, sku_links

    # blinker ignores repeat connects of the same receiver
    requests_changed.connect(jobs.on_requests_changed, weak=False)
    etsy_connected.connect(jobs.on_etsy_connected, weak=False)
    etsy_step_panels.connect(stores_panel, weak=False)
    detail_panels.connect(etsy_tasks_panel, weak=False)
    sku_links.connect(queries.sku_links, weak=False)
    register_periodic(app, jobs.periodic_listings_and_restocks, PERIODIC_SECONDS)
