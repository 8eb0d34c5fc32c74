"""The Etsy side: a cache of the seller's Etsy listings by SKU, and restocking returned items."""

from flask import Blueprint, Flask

bp = Blueprint("listings", __name__, url_prefix="/listings")

from connector_app.listings import routes  # noqa: E402,F401

PERIODIC_SECONDS = 10 * 60


def init_app(app: Flask) -> None:
    from connector_app.commands import register_periodic
    from connector_app.listings import jobs, services
    from connector_app.listings.tasks import etsy_tasks_for
    from connector_app.returns.signals import requests_changed

    requests_changed.connect(jobs.on_requests_changed, weak=False)  # blinker ignores repeat connects
    register_periodic(app, jobs.periodic_listings_and_restocks, PERIODIC_SECONDS)

    @app.context_processor
    def listing_helpers() -> dict:
        return {"etsy_tasks_for": etsy_tasks_for, "listings_for_skus": services.listings_for_skus}
