from __future__ import annotations

import logging

from flask import current_app, jsonify, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import text

from connector_app.connect.models import CONNECTED, EtsyConnection, TikTokShop
from connector_app.extensions import db, rq
from connector_app.home import bp
from connector_app.tenancy import for_seller

log = logging.getLogger(__name__)


@bp.get("/")
def index():
    if not current_user.is_authenticated:
        return render_template("home/landing.html")
    etsy = db.session.execute(for_seller(EtsyConnection).where(EtsyConnection.status == CONNECTED)).first()
    shop = db.session.execute(for_seller(TikTokShop).where(TikTokShop.status == CONNECTED)).first()
    if etsy is None or shop is None:
        return redirect(url_for("connect.index"))
    return redirect(url_for("returns.index"))


def _check_database() -> dict:
    backend = db.engine.url.get_backend_name()
    try:
        db.session.execute(text("SELECT 1"))
        return {"ok": True, "backend": backend}
    except Exception as exc:  # noqa: BLE001 - any failure means "down"
        log.warning("health: database down: %s", exc)
        db.session.rollback()
        return {"ok": False, "backend": backend, "error": type(exc).__name__}


def _check_queue() -> tuple[dict, dict]:
    backend = "redis" if current_app.config.get("REDIS_URL") else "embedded-redis"
    try:
        rq.connection.ping()
        workers = rq.workers()
    except Exception as exc:  # noqa: BLE001
        log.warning("health: queue down: %s", exc)
        return {"ok": False, "backend": backend, "error": type(exc).__name__}, {"alive": False, "count": 0}
    queue = {"ok": True, "backend": backend, "name": rq.queue.name, "pending_jobs": rq.queue.count}
    return queue, {"alive": bool(workers), "count": len(workers)}


@bp.get("/healthz")
def healthz():
    database = _check_database()
    queue, worker = _check_queue()
    healthy = database["ok"] and queue["ok"] and worker["alive"]
    body = {
        "status": "ok" if healthy else "unavailable",
        "database": database,
        "queue": queue,
        "worker": worker,
    }
    return jsonify(body), 200 if healthy else 503
