"""A seller connected to the sandbox on both sides (TikTok and Etsy), and a catalog run to the end."""

from __future__ import annotations

import base64
import hashlib
import secrets

from sqlalchemy import select

from connector_app.accounts.preferences import SellerSettings
from connector_app.connect.clients import etsy_auth
from connector_app.connect.models import EtsyConnection, TikTokShop
from connector_app.connect.services import save_etsy_connection
from connector_app.extensions import db
from connector_app.marketplaces.etsy import EtsyClient
from connector_app.products import jobs
from connector_app.products import models as m
from connector_app.products import services as product_services
from connector_app.timeutil import utcnow
from connector_app.transactions import job_step
from tests.sync.helpers import connect_shop, work

REDIRECT = "http://127.0.0.1:5000/connect/etsy/callback"
ETSY_LOGIN = {"Harbor & Pine Goods": "harborpine", "Lindenhof Atelier": "lindenhofatelier"}


def connect_etsy(app, sb, seller, login: str) -> EtsyConnection:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    code = sb.authorize_etsy(challenge, REDIRECT, "st", user=login)
    with app.app_context():
        tokens = etsy_auth().exchange_code(code, REDIRECT, verifier)
        client = EtsyClient(sb.etsy_keystring, sb.etsy_shared_secret, sb.url, tokens.access_token)
        me = client.get_me()
        saved = save_etsy_connection(
            seller.id, tokens, me, client.get_shop(me.shop_id), "listings_r listings_w"
        )
        db.session.commit()
        return saved.connection


def connect_both(app, sb, seller, name: str = "Harbor & Pine Goods") -> TikTokShop:
    shop = connect_shop(app, sb, seller, name)
    connect_etsy(app, sb, seller, ETSY_LOGIN[name])
    return shop


def stock_follows_sales(app, seller) -> None:
    with app.app_context():
        row = db.session.get(SellerSettings, seller.id) or SellerSettings(seller_id=seller.id)
        row.stock_follows_sales = True
        row.stock_follows_sales_after = int(utcnow().timestamp())
        db.session.add(row)
        db.session.commit()


def run_catalog(app, shop_pk: int) -> str:
    with app.app_context(), job_step():
        shop = db.session.get(TikTokShop, shop_pk)
        run = jobs.start_catalog_sync(shop, "manual")
        run_id = run.id
    work(app)
    with app.app_context():
        from connector_app.sync.models import SyncRun

        return db.session.get(SyncRun, run_id).state


def switch_on(app, shop_pk: int, *names: str) -> None:
    with app.app_context(), job_step():
        product_services.switch_on(db.session.get(TikTokShop, shop_pk), list(names))


def skus(app, shop_pk: int) -> list[m.TikTokSku]:
    with app.app_context():
        rows = db.session.scalars(select(m.TikTokSku).where(m.TikTokSku.tiktok_shop_id == shop_pk)).all()
        for row in rows:
            row.etsy  # noqa: B018
            row.product  # noqa: B018
        db.session.expunge_all()
        return list(rows)


def records(app) -> list[m.PushRecord]:
    with app.app_context():
        rows = db.session.scalars(select(m.PushRecord).order_by(m.PushRecord.id)).all()
        db.session.expunge_all()
        return list(rows)
