"""``/healthz`` (readiness), ``/status`` (operators) and ``/metrics`` (Prometheus)."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Response, abort, jsonify, render_template, request

from connector_app.health import bp
from connector_app.health.access import is_operator
from connector_app.health.checks import (
    check_database,
    check_redis,
    queue_report,
    sync_report,
    webhook_report,
    workers_report,
)
from connector_app.observability.metrics import render


def _require_operator() -> None:
    if not is_operator():
        # Not found rather than forbidden: the public learns nothing about operator endpoints.
        abort(404)


@bp.get("/healthz")
def healthz():
    """Web readiness: 200 when this node can serve (database and Redis answer), else 503.

    Workers are not part of it (probe them with ``flask worker --check``). Only operators see details.
    """
    database, redis = check_database(), check_redis()
    ready = database["ok"] and redis["ok"]
    body: dict = {"status": "ok" if ready else "unavailable"}
    if is_operator():
        body.update(database=database, redis=redis)
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response, 200 if ready else 503


def _status() -> dict:
    now = datetime.now(UTC)
    database, redis = check_database(), check_redis()
    body: dict = {"time": now.isoformat(timespec="seconds"), "database": database, "redis": redis}
    if redis["ok"]:
        body["queue"] = queue_report(now)
        body["workers"] = workers_report(now)
    if database["ok"]:
        body["webhooks"] = webhook_report(now)
        body["shops"] = sync_report(now)
    return body


@bp.get("/status")
def status():
    """The operator's page: queue, workers, last sync per shop, webhook lag (JSON on request)."""
    _require_operator()
    body = _status()
    if request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json":
        response = jsonify(body)
    else:
        response = Response(render_template("health/status.html", status=body))
    response.headers["Cache-Control"] = "no-store"
    return response


def _queue_for_metrics() -> dict:
    queue = queue_report()
    return {
        "queue": queue["name"],
        "depth": queue["depth"],
        "oldest": queue["oldest_job_age_seconds"],
        "failed": queue["failed"],
        "workers": len(workers_report()),
    }


@bp.get("/metrics")
def metrics():
    _require_operator()
    payload, content_type = render(_queue_for_metrics)
    return Response(payload, content_type=content_type, headers={"Cache-Control": "no-store"})
