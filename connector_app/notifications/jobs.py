"""Background work of the alerts feature. Alerts are computed here — by the scheduled tick and by the
events that change requests or connections — never by a page view.

- ``tick`` (``flask cron``, every ``ALERT_SCAN_SECONDS``): the scan, the digests that are due, then
  every delivery that is due (new ones, retries after back-off).
- ``on_requests_changed`` (``returns.signals.requests_changed``, after a webhook or a decision
  committed): what those requests' changes make due, raised at once; ``send`` mails it. (What a sync
  changed, the next tick reads.) ``alerts_for_requests`` is the same as a job of its own.
- ``alerts_for_connections`` (``connect.signals.connection_lost`` / ``authorization_expiring``).
"""

from __future__ import annotations

import logging

from flask import has_request_context

from connector_app.dbutil import retry_on_conflict
from connector_app.extensions import db, rq
from connector_app.notifications import delivery, digest, scan
from connector_app.notifications.services import raise_alerts
from connector_app.notifications.sources import Window
from connector_app.notifications.sources.connections import SOURCE as CONNECTIONS
from connector_app.notifications.sources.requests import EVENT_LOOKBACK
from connector_app.notifications.sources.requests import SOURCE as REQUESTS
from connector_app.timeutil import utcnow
from connector_app.transactions import enqueue_after_commit, job_step

log = logging.getLogger(__name__)
CONNECTIONS_JOB = "connector_app.notifications.jobs.alerts_for_connections"


def tick() -> dict:
    report = scan.run_scan()
    digest.run_due_digests()
    sent = delivery.send_due()
    log.info(
        "alert scan: %s rows read, %s alerts due, %s new; %s deliveries sent",
        report.total_read,
        report.found,
        report.created,
        sent.sent,
    )
    return {"read": report.total_read, "due": report.found, "new": report.created, "sent": sent.sent}


def _raise(alerts) -> list[int]:
    with job_step():
        return raise_alerts(alerts).deliveries


def _raise_and_send(alerts) -> list[int]:
    ids = retry_on_conflict(lambda: _raise(alerts), describe="raising alerts")
    if ids:
        delivery.send_due(ids)
    return ids


def alerts_for_requests(seller_id: int, request_pks: list[int]) -> int:
    now = utcnow()
    window = Window(since=now - EVENT_LOOKBACK, now=now)
    return len(_raise_and_send(REQUESTS.for_requests(seller_id, request_pks, window)))


def alerts_for_connections(seller_id: int) -> int:
    now = utcnow()
    window = Window(since=now - EVENT_LOOKBACK, now=now)
    return len(_raise_and_send(CONNECTIONS.for_seller(seller_id, window).alerts))


def on_requests_changed(sender, *, seller_id: int, request_pks: list[int], source: str = "", **_) -> None:
    """``requests_changed`` (sent after the commit by the webhook or decision job that changed the
    requests): the alerts they make due are raised at once, in that job's process and in steps of their
    own; their emails go out in a job of their own (a slow mail server never holds up a decision or a
    webhook). The scan is the backstop: a failure here is logged, never raised into the sender's job.

    Not for the pages of a sync: a full sync sends this for every page of 50; the next tick
    (``ALERT_SCAN_SECONDS``) reads what the sync changed through the turns' ``updated_at`` anyway."""
    if source == "sync" or not request_pks:
        return
    try:
        if has_request_context():  # a page never computes alerts: a job does
            rq.enqueue(alerts_for_requests, seller_id, list(request_pks), job_timeout=300)
            return
        now = utcnow()
        alerts = REQUESTS.for_requests(
            seller_id, list(request_pks), Window(since=now - EVENT_LOOKBACK, now=now)
        )
        ids = retry_on_conflict(lambda: _raise(alerts), describe="raising alerts")
        if ids:
            rq.enqueue(send, ids, job_timeout=300)
    except Exception:  # never break the webhook or decision that sent the signal
        db.session.rollback()
        log.exception("alerts for seller %s not evaluated now; the next scan will", seller_id)


def send(delivery_ids: list[int]) -> int:
    """Send these deliveries (queued by the event path)."""
    return delivery.send_due(delivery_ids).sent


def on_connection_event(sender, *, seller_id: int, committed: bool = False, **_) -> None:
    """A connection was lost or is about to end. Changed in the caller's unit of work: the evaluation is
    queued when it commits. Already written on its own connection: queued now, without touching the
    session (the caller may roll it back). The scheduled scan is the backstop either way."""
    if not committed:
        enqueue_after_commit(CONNECTIONS_JOB, seller_id, timeout=300)
        return
    try:
        rq.enqueue(alerts_for_connections, seller_id, job_timeout=300)
    except Exception:  # never break the marketplace call that noticed the loss
        log.exception("could not queue connection alerts for seller %s", seller_id)
