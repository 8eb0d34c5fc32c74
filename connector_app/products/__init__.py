"""The catalog: every TikTok product and SKU of each connected shop beside the Etsy SKU it is linked to
(TikTok ``seller_sku`` = Etsy ``sku``), TikTok Shop Settings per shop (product information, price,
inventory) and the push that keeps TikTok in step with Etsy, exactly once per change.

It registers the ``catalog`` sync subject (runs on the sync machinery), answers product webhooks (5,
15, 37), follows Etsy listing refreshes (``listings.signals.listings_refreshed``) and schedules its
own runs, spending Etsy's app-wide daily budget fairly.
"""

from flask import Blueprint, Flask

bp = Blueprint("products", __name__, url_prefix="/products")

from connector_app.products import etsy_webhook, routes  # noqa: E402,F401

PERIODIC_SECONDS = 60


def init_app(app: Flask) -> None:
    from connector_app.actions.signals import log_entries
    from connector_app.commands import register_periodic
    from connector_app.listings.signals import listings_refreshed
    from connector_app.products import action_log, jobs, progress, webhooks
    from connector_app.sync import subjects
    from connector_app.webhooks.signals import webhook_received

    subjects.register(
        subjects.Subject(
            name=jobs.SUBJECT,
            label="Catalog",
            job="connector_app.products.jobs.run_catalog_sync",
            has_synced=jobs.has_synced,
            scheduled=False,  # its own schedule: only shops with something switched on, budget-aware
            progress=progress.describe,
        )
    )
    listings_refreshed.connect(jobs.on_listings_refreshed, weak=False)
    webhook_received.connect(webhooks.on_webhook, weak=False)
    register_periodic(app, jobs.enqueue_due_catalog_syncs, PERIODIC_SECONDS)
    log_entries.connect(action_log.push_entries, weak=False)
