"""The audit trail of decisions sent to TikTok, and bulk approvals run as background jobs.

``ActionAudit.idempotency_key`` is generated when the confirmation form is rendered and is UNIQUE: the
row is committed before TikTok is called, so a second submit of the same form (double click, browser
retry) finds it and shows the first outcome instead of acting again. The same key is sent to TikTok,
which replays its first answer if our call is retried after a lost response.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from connector_app.extensions import db
from connector_app.returns.models import BigId
from connector_app.tenancy import SellerOwned
from connector_app.timeutil import utcnow

# Outcome of one decision.
PENDING = "pending"  # claimed, TikTok not answered yet (or the answer was lost: safe to resend, same key)
SUCCEEDED = "succeeded"
REFUSED = "refused"  # TikTok said no (wrong state, already handled, with the platform...)
FAILED = "failed"  # could not reach TikTok or it errored; may be retried with the same key
SKIPPED = "skipped"  # bulk: nothing to approve on this request

FINAL_STATES = (SUCCEEDED, REFUSED, SKIPPED)

# Bulk job states.
QUEUED = "queued"
RUNNING = "running"
FINISHED = "finished"


class ActionAudit(SellerOwned, db.Model):
    __tablename__ = "action_audits"
    __table_args__ = (Index("ix_action_audits_seller_created", "seller_id", "created_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    request_pk: Mapped[int] = mapped_column(ForeignKey("return_requests.id", ondelete="CASCADE"), index=True)
    request_id: Mapped[str] = mapped_column(String(64))  # TikTok's id, kept for the log
    decision: Mapped[str] = mapped_column(String(40))
    reject_reason: Mapped[str | None] = mapped_column(String(255))
    reject_reason_text: Mapped[str | None] = mapped_column(String(512))
    comment: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(254))  # who: the seller's email at the time
    state: Mapped[str] = mapped_column(String(16), default=PENDING)
    message: Mapped[str | None] = mapped_column(Text)  # TikTok's refusal or error, in plain words
    status_before: Mapped[str | None] = mapped_column(String(64))
    status_after: Mapped[str | None] = mapped_column(String(64))
    bulk_id: Mapped[str | None] = mapped_column(ForeignKey("bulk_actions.id", ondelete="CASCADE"), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    request = relationship("ReturnRequest")

    @property
    def is_final(self) -> bool:
        return self.state in FINAL_STATES


class BulkAction(SellerOwned, db.Model):
    """One job of decisions: a bulk approval, or a single decision (a bulk of one, see ``single``).

    ``id`` is the form's idempotency key and the RQ job id of its first run. Each request's result is
    an ``ActionAudit`` row.
    """

    __tablename__ = "bulk_actions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    tab: Mapped[str | None] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16), default=QUEUED)
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    succeeded: Mapped[int] = mapped_column(Integer, default=0)
    refused: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    actor: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    results: Mapped[list[ActionAudit]] = relationship(order_by="ActionAudit.id")

    @property
    def percent(self) -> int:
        return 100 if not self.total else int(100 * self.done / self.total)

    @property
    def single(self) -> ActionAudit | None:
        """The decision when this job is one seller's single decision (a bulk of one), else None.

        A single decision's audit row carries the job's own id as its idempotency key; the rows of a
        bulk approval carry ``<job id>-<request id>``.
        """
        results = self.results
        if len(results) == 1 and results[0].idempotency_key == self.id:
            return results[0]
        return None
