"""Imports every feature's models so SQLAlchemy (and Alembic autogenerate) know the whole schema."""

from connector_app.accounts.models import LoginSession, Seller
from connector_app.accounts.preferences import SellerSettings
from connector_app.actions.models import ActionAudit, BulkAction
from connector_app.connect.models import EtsyConnection, TikTokAuthorization, TikTokShop
from connector_app.insights.models import (
    InsightReasonWeek,
    InsightSkuRunning,
    InsightSkuWeek,
    InsightSlice,
    InsightState,
    InsightTurnWeek,
)
from connector_app.listings.models import EtsyListing, EtsyListingSku, ListingRefresh, RestockRecord
from connector_app.notifications.models import AlertSettings, Delivery, DigestSchedule, Notification, ScanMark
from connector_app.orders.models import FbtStock, ListingHold, Order, OrderLine, StockMove
from connector_app.orders.sync import OrderSyncState
from connector_app.returns.models import (
    ReturnLineItem,
    ReturnRequest,
    ReturnStatusChange,
    ReturnTabCount,
    SellerTurn,
)
from connector_app.sync.models import SyncRun
from connector_app.transactions import JobOutbox
from connector_app.webhooks.models import WebhookEvent

__all__ = [
    "ActionAudit",
    "FbtStock",
    "ListingHold",
    "Order",
    "OrderLine",
    "OrderSyncState",
    "StockMove",
    "AlertSettings",
    "Delivery",
    "DigestSchedule",
    "Notification",
    "ScanMark",
    "BulkAction",
    "EtsyListing",
    "JobOutbox",
    "EtsyListingSku",
    "ListingRefresh",
    "RestockRecord",
    "EtsyConnection",
    "InsightReasonWeek",
    "InsightSkuRunning",
    "InsightSkuWeek",
    "InsightSlice",
    "InsightState",
    "InsightTurnWeek",
    "LoginSession",
    "ReturnLineItem",
    "ReturnRequest",
    "ReturnStatusChange",
    "ReturnTabCount",
    "Seller",
    "SellerSettings",
    "SellerTurn",
    "SyncRun",
    "TikTokAuthorization",
    "TikTokShop",
    "WebhookEvent",
]
