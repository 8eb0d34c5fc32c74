"""Helpers for sync and webhook tests: a sandbox-connected shop, an in-process RQ worker, and a
comparison of the app's data with the sandbox's own dump."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from connector_app.connect.clients import tiktok_auth
from connector_app.connect.models import TikTokShop
from connector_app.connect.services import save_tiktok_connection
from connector_app.extensions import db, rq
from connector_app.marketplaces.tiktok import TikTokClient
from connector_app.returns.models import ReturnRequest, ReturnStatusChange, ReturnTabCount
from connector_app.worker import AppWorker
from sandbox_marketplace.testing import SandboxServer

SELLER = "Harbor & Pine Goods"  # one US shop in the sandbox's demo world (1 in 7 of its requests)
SHOPS_IN_SANDBOX = 7


def work(app) -> None:
    """Run every queued job to the end with a real RQ worker."""
    with app.app_context():
        AppWorker([rq.queue], connection=rq.connection, app=app).work(burst=True)


def point_app_at(app, sb: SandboxServer, **extra) -> None:
    app.config.update(
        **sb.connector_config(),
        MARKETPLACE_BACKOFF_BASE=0.01,
        MARKETPLACE_TIMEOUT=1.0,
        **extra,
    )


def sandbox_for(requests_in_shop: int, **settings) -> SandboxServer:
    return SandboxServer(
        seed=5,
        returns=requests_in_shop * SHOPS_IN_SANDBOX,
        SANDBOX_TIKTOK_QPS=100_000,
        **settings,
    )


def connect_shop(app, sb: SandboxServer, seller, seller_name: str = SELLER) -> TikTokShop:
    """Authorize the app in the sandbox like a seller would, and store the shop as connect does."""
    with app.app_context():
        code, group = sb.authorize_tiktok_for_app(seller=seller_name)
        tokens = tiktok_auth(group).get_token(code)
        client = TikTokClient(*sb.tiktok_app(group), sb.url, tokens.access_token)
        remote = client.get_authorized_shops()[0]
        [shop] = save_tiktok_connection(seller.id, tokens, group, [remote])
        db.session.commit()
        db.session.refresh(shop)
        shop.authorization  # noqa: B018
        return shop


def _amount(value) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value)).quantize(Decimal("0.01"))


def sandbox_view(sb: SandboxServer, shop_id: str) -> dict:
    kinds = {"return": "return", "cancel": "cancellation"}
    return {
        (kinds[r["kind"]], r["id"]): (
            r["status"],
            _amount(r["refund_total"]),
            r["currency"],
            r["update_time"],
        )
        for r in sb.all_requests(shop_id=shop_id)
    }


def app_view(app, shop_pk: int) -> dict:
    with app.app_context():
        rows = db.session.execute(
            select(
                ReturnRequest.kind,
                ReturnRequest.request_id,
                ReturnRequest.status,
                ReturnRequest.refund_total,
                ReturnRequest.currency,
                ReturnRequest.update_time,
            ).where(ReturnRequest.tiktok_shop_id == shop_pk)
        ).all()
    view = {
        (r.kind, r.request_id): (r.status, _amount(r.refund_total), r.currency, r.update_time) for r in rows
    }
    assert len(view) == len(rows), "a request is stored twice"
    return view


def tab_counts(app, shop_pk: int) -> tuple[dict[str, int], dict[str, int]]:
    """(the stored per-tab counts, the counts of the stored rows): they must always agree."""
    with app.app_context():
        # A tab has one counter row per currency (and "" for requests without an amount): summed. (Read as
        # one value per tab, the row that came last won, and that depended on the database's row order.)
        stored = dict(
            db.session.execute(
                select(ReturnTabCount.tab, func.sum(ReturnTabCount.count))
                .where(ReturnTabCount.tiktok_shop_id == shop_pk)
                .group_by(ReturnTabCount.tab)
            ).all()
        )
        actual: dict[str, int] = {}
        for (tab,) in db.session.execute(
            select(ReturnRequest.tab).where(ReturnRequest.tiktok_shop_id == shop_pk)
        ):
            actual[tab] = actual.get(tab, 0) + 1
    return {tab: n for tab, n in stored.items() if n}, actual


def history_count(app) -> int:
    with app.app_context():
        return db.session.query(ReturnStatusChange).count()
