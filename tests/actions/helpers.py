"""Helpers shared by the actions, listings and settings tests."""

from __future__ import annotations

import re
from datetime import timedelta

from connector_app.connect.models import TikTokAuthorization, TikTokShop
from connector_app.extensions import db, rq
from connector_app.marketplaces.tiktok import TikTokAuth
from connector_app.returns.services import upsert_requests
from connector_app.timeutil import utcnow

KEY_INPUT = re.compile(
    r'name="idempotency_key" type="hidden" value="([^"]+)"|name="idempotency_key" value="([^"]+)"'
)


def form_key(html: str) -> str:
    match = KEY_INPUT.search(html)
    assert match, "no idempotency key in the form"
    return match.group(1) or match.group(2)


def run_jobs(app, limit: int = 100) -> int:
    """Run queued RQ jobs in this process (as the worker would, in an app context) until none are left."""
    ran = 0
    with app.app_context():
        while ran < limit:
            job_ids = rq.queue.job_ids
            if not job_ids:
                break
            job = rq.queue.fetch_job(job_ids[0])
            rq.queue.remove(job_ids[0])
            try:
                job.perform()
            finally:
                db.session.remove()
            ran += 1
    return ran


def reject_form(app, client, url: str) -> str:
    """The reject confirmation form: the first look queues the reasons' fetch and says they are loading;
    once the job ran the form lists them."""
    first = client.get(url).get_data(as_text=True)
    if "Loading TikTok's reasons" in first:
        assert run_jobs(app) >= 1
        first = client.get(url).get_data(as_text=True)
    assert "Loading TikTok's reasons" not in first
    return first


def point_at_sandbox(app, sb) -> None:
    app.config.update(sb.connector_config())


def connect_sandbox_shop(app, sb, factories, seller, remote: dict) -> TikTokShop:
    """A TikTokShop row for the sandbox shop ``remote`` (from ``sb.shops()``) with real sandbox tokens."""
    point_at_sandbox(app, sb)
    code, group = sb.authorize_tiktok_for_app(seller=remote["seller"])
    tokens = TikTokAuth(*sb.tiktok_app(group), sb.url).get_token(code)
    shop = factories.tiktok_shop(
        seller, shop_id=remote["id"], cipher=remote["cipher"], region=remote["region"], name=remote["name"]
    )
    with app.app_context():
        authorization = db.session.get(TikTokAuthorization, shop.authorization_id)
        authorization.access_token = tokens.access_token
        authorization.refresh_token = tokens.refresh_token
        authorization.access_token_expires_at = utcnow() + timedelta(days=6)
        db.session.commit()
    return shop


def import_request(app, shop: TikTokShop, request_id: str, kind: str) -> None:
    """Fetch one request from the sandbox and store it, as a sync would."""
    from connector_app.connect.clients import tiktok_client_for

    with app.app_context():
        row = db.session.get(TikTokShop, shop.id)
        client = tiktok_client_for(row)
        item = client.get_return(request_id) if kind == "return" else client.get_cancellation(request_id)
        assert item is not None
        upsert_requests(row, [item], source="sync")
        db.session.commit()
