"""Orders and Fulfilled by TikTok: every TikTok order in the app, and Etsy stock that follows sales."""

from flask import Blueprint, Flask

bp = Blueprint("orders", __name__, url_prefix="/orders")

from connector_app.orders import routes, settings_routes, shipping_routes, sync_routes  # noqa: E402,F401

SWEEP_SECONDS = 60


def _return_detail_panel(sender=None, request=None, **_kwargs):
    """On a return's or cancellation's detail: a link to its order (``returns.detail_panels``)."""
    from connector_app.orders.routes import order_link_for_return
    from connector_app.panels import Panel

    if request is None:
        return None
    link = order_link_for_return(request.seller_id, request)
    if link is None:
        return None
    return Panel("orders/_return_link.html", {"order_id": link[0], "url": link[1]}, slot="main", order=-10)


def init_app(app: Flask) -> None:
    """The webhook receiver (types 1 and FBT 21–24), the return → order link, the stock sweep, filters."""
    from connector_app.actions.signals import log_entries
    from connector_app.commands import register_periodic
    from connector_app.orders import jobs, products_panel, shipping_jobs, shipping_views, sync, tabs
    from connector_app.products.signals import fbt_stock
    from connector_app.returns.signals import detail_panels
    from connector_app.sync.subjects import Subject, register
    from connector_app.webhooks.signals import webhook_received

    register(
        Subject(
            name=sync.SUBJECT,
            label="Orders",
            job="connector_app.orders.sync.run_order_sync",
            has_synced=sync.has_synced,
        )
    )
    webhook_received.connect(jobs.on_webhook_received, weak=False)
    detail_panels.connect(_return_detail_panel, weak=False)
    log_entries.connect(shipping_views.log_entries, weak=False)  # shipments in the seller's action log
    fbt_stock.connect(products_panel.fbt_stock, weak=False)
    stale = int(app.config.get("ORDER_STOCK_STALE_SECONDS") or SWEEP_SECONDS)
    register_periodic(app, jobs.sweep_stock, max(5, min(SWEEP_SECONDS, stale)))
    register_periodic(app, shipping_jobs.sweep_shipments, SWEEP_SECONDS)
    app.jinja_env.filters["order_status_label"] = tabs.status_label
    app.jinja_env.filters["fulfilment_label"] = tabs.fulfilment_label
