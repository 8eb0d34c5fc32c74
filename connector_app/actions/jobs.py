"""Background work of the actions feature: decision jobs (a bulk approval, or one decision) and the
refresh of TikTok's reject reasons. Orchestration only: every write is a ``services`` call inside a
``job_step()``, so a crash loses at most the decision in flight (which is then resent with the same
idempotency key: TikTok replays its first answer)."""

from __future__ import annotations

import logging

from connector_app.actions import queries, reasons, services
from connector_app.actions.sending import send
from connector_app.returns.signals import notify_requests_changed
from connector_app.transactions import job_step

log = logging.getLogger(__name__)


def run_bulk(seller_id: int, bulk_id: str) -> None:
    """Send every decision of job ``bulk_id`` that has no final answer yet; one step per request so
    progress shows live. Safe to run again: requests already answered are skipped."""
    with job_step():
        job = queries.job_for(seller_id, bulk_id)
        if job is not None:
            services.job_started(job)
    if job is None:
        log.warning("decision job %s of seller %s is gone", bulk_id, seller_id)
        return
    for audit_id in queries.audits_to_send(job):
        with job_step():
            audit = queries.audit_to_send(seller_id, audit_id)
            if audit is None:
                continue  # another run of this job got TikTok's answer meanwhile
            outcome = send(audit)
            services.job_advanced(job)
        notify_requests_changed(seller_id, outcome.changed_pks, "action")
    with job_step():
        services.job_finished(job)


def refresh_reject_reasons(seller_id: int, request_pk: int, decision_name: str) -> None:
    """Fetch TikTok's reject reasons for this request's shop and kind into the cache."""
    reasons.refresh(seller_id, request_pk, decision_name)
