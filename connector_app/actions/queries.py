"""What the actions feature reads: decisions, their history and their jobs (every query scoped by seller)."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from connector_app.actions.models import FAILED, PENDING, ActionAudit, BulkAction
from connector_app.connect.models import TikTokShop
from connector_app.extensions import db
from connector_app.returns.models import ReturnRequest
from connector_app.tenancy import for_seller, get_for_seller
from connector_app.transactions import JobOutbox


def find_audit(seller_id: int, idempotency_key: str) -> ActionAudit | None:
    return get_for_seller(ActionAudit, seller_id, idempotency_key=idempotency_key)


def history_for(request: ReturnRequest, limit: int = 10) -> list[ActionAudit]:
    """The latest decisions taken on one request, newest first."""
    query = (
        for_seller(ActionAudit, request.seller_id)
        .where(ActionAudit.request_pk == request.id)
        .order_by(ActionAudit.created_at.desc(), ActionAudit.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))


def job_for(seller_id: int, job_id: str) -> BulkAction | None:
    return get_for_seller(BulkAction, seller_id, id=job_id)


def with_requests(seller_id: int, audits: list[ActionAudit]) -> list[ActionAudit]:
    """``audits`` with their requests loaded in one query, so a template reading them runs none."""
    pks = {audit.request_pk for audit in audits}
    requests = db.session.scalars(
        for_seller(ReturnRequest, seller_id)
        .where(ReturnRequest.id.in_(pks))
        .options(selectinload(ReturnRequest.shop).selectinload(TikTokShop.authorization))
    ).all()
    by_pk = {row.id: row for row in requests}
    for audit in audits:
        set_committed_value(audit, "request", by_pk.get(audit.request_pk))
    return audits


def requests_with_shops(seller_id: int, request_ids: list[str]) -> list[ReturnRequest]:
    """The seller's requests by TikTok id, with their shops and authorizations (whether each shop is
    connected decides what may be sent), in one query."""
    if not request_ids:
        return []
    return list(
        db.session.scalars(
            for_seller(ReturnRequest, seller_id)
            .where(ReturnRequest.request_id.in_(request_ids))
            .options(joinedload(ReturnRequest.shop).joinedload(TikTokShop.authorization))
        ).unique()
    )


def shop_of(request: ReturnRequest):
    """The request's shop with its authorization (whether it is connected decides the buttons),
    loaded here so the panel's template runs no query."""
    shop = request.shop
    if shop is not None:
        shop.authorization  # noqa: B018 - loaded now, in the view
    return shop


def load_results(job: BulkAction) -> list[ActionAudit]:
    """The job's decisions with their requests, loaded here so the progress template runs no query."""
    return with_requests(job.seller_id, job.results)


def load_summary(request: ReturnRequest) -> ReturnRequest:
    """The request with its shop and line items, which the confirmation step shows."""
    return db.session.scalars(
        for_seller(ReturnRequest, request.seller_id)
        .where(ReturnRequest.id == request.id)
        .options(
            joinedload(ReturnRequest.shop).joinedload(TikTokShop.authorization),
            selectinload(ReturnRequest.line_items),
        )
        .execution_options(populate_existing=True)
    ).one()


def rq_job_id(job: BulkAction) -> str:
    """The RQ id of a decision job's first run (a run queued again adds ``-again-…``). Prefixed: a
    client-chosen key never names another job (a sync run's, a webhook's) in the queue."""
    return f"bulk-{job.seller_id}-{job.id}"


def waiting_for_queue(job: BulkAction) -> bool:
    """True while a run of ``job`` committed but could not be put on the queue (Redis was down).

    Only an outbox row whose enqueue already failed counts: a row of the request being answered has
    not been tried yet (it is queued when this request commits).
    """
    query = select(JobOutbox.args).where(
        or_(
            JobOutbox.job_id == rq_job_id(job),
            JobOutbox.job_id.startswith(f"{rq_job_id(job)}-again-", autoescape=True),
        ),
        JobOutbox.attempts > 0,
    )
    return any(list(args or ()) == [job.seller_id, job.id] for args in db.session.scalars(query.limit(20)))


def audits_to_send(job: BulkAction) -> list[int]:
    """Ids of the job's decisions without TikTok's final answer (pending, or failed before)."""
    query = (
        for_seller(ActionAudit, job.seller_id)
        .where(ActionAudit.bulk_id == job.id, ActionAudit.state.in_((PENDING, FAILED)))
        .order_by(ActionAudit.id)
    )
    return list(db.session.scalars(query.with_only_columns(ActionAudit.id)))


def audit_to_send(seller_id: int, audit_id: int) -> ActionAudit | None:
    """The decision, unless another run got TikTok's final answer for it meanwhile."""
    audit = db.session.scalars(
        for_seller(ActionAudit, seller_id).where(ActionAudit.id == audit_id)
    ).one_or_none()
    return audit if audit is not None and audit.state in (PENDING, FAILED) else None
