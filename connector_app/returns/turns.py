"""Seller turns: the periods in which a request waited on the seller — the only writer of ``SellerTurn``.

A turn opens when a stored request starts waiting on the seller (``needs_action``: TikTok lists a
``SELLER_RESPOND_*`` next action) or starts waiting for a different action (a returned parcel to
confirm after the request was approved), and ends when the request stops waiting for that action.
How it ended is decided when it ends:

- ``ANSWERED_HERE``: a decision sent through this app succeeded (``record_answer``, called by the
  action path) before or after the snapshot that ended the turn was stored;
- ``DECIDED_BY_TIKTOK``: the request moved on after its deadline (TikTok's ``update_time`` of the
  change is later than ``respond_by``) with no answer from the seller — ``end_status`` says what TikTok
  did and ``refund_total`` what it cost;
- ``CHANGED_ELSEWHERE``: it moved on before the deadline without our decision (answered in Seller
  Center, or withdrawn by the buyer: ``end_status`` tells which).

``upsert_requests`` collects a page's transitions in a :class:`TurnPlan` while it compares the page with
the stored rows (it already reads what the plan needs) and writes them with :meth:`TurnPlan.write`: at
most three bulk statements per page (close, open, move a deadline), none per row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import BigInteger, and_, bindparam, case, insert, or_, update

from connector_app.extensions import db
from connector_app.returns.models import (
    ANSWERED_HERE,
    CHANGED_ELSEWHERE,
    DECIDED_BY_TIKTOK,
    SellerTurn,
)
from connector_app.tenancy import for_seller
from connector_app.timeutil import utcnow


def _moment(fields: dict, now: datetime) -> int:
    """TikTok's time of the snapshot (its ``update_time``; our clock if it gave none)."""
    return int(fields.get("update_time") or now.timestamp())


@dataclass
class TurnPlan:
    """The turn changes of one page of requests, written in bulk by :meth:`write`."""

    seller_id: int
    source: str
    now: datetime = field(default_factory=utcnow)
    opens: list[dict] = field(default_factory=list)
    closes: list[dict] = field(default_factory=list)
    moves: list[dict] = field(default_factory=list)

    def new_request(self, pk: int, fields: dict) -> None:
        """A request stored for the first time: a turn opens if it waits on the seller."""
        if fields["needs_action"]:
            self._open(pk, fields)

    def changed_request(self, pk: int, stored, fields: dict) -> None:
        """A stored request (``stored``: its row before this write) takes ``fields``."""
        was_waiting, waits = bool(stored.needs_action), bool(fields["needs_action"])
        if was_waiting and waits and stored.next_action == fields["next_action"]:
            if stored.respond_by != fields["respond_by"]:  # TikTok moved the deadline: the same turn
                self.moves.append({"b_pk": pk, "b_deadline": fields["respond_by"], "b_recorded": self.now})
            return
        if was_waiting:
            self.closes.append(
                {
                    "b_pk": pk,
                    "b_ended": _moment(fields, self.now),
                    "b_status": fields["status"],
                    "b_currency": fields["currency"],
                    "b_total": fields["refund_total"],
                    "b_source": self.source,
                    "b_recorded": self.now,
                }
            )
        if waits:
            self._open(pk, fields)

    def _open(self, pk: int, fields: dict) -> None:
        self.opens.append(
            {
                "seller_id": self.seller_id,
                "request_pk": pk,
                "action": fields["next_action"] or "",
                "start_status": fields["status"],
                "started_at": _moment(fields, self.now),
                "first_deadline": fields["respond_by"],
                "deadline": fields["respond_by"],
                "opened_by": self.source,
                "recorded_at": self.now,
                "updated_at": self.now,
            }
        )

    def write(self) -> None:
        """Closes first (a request's new turn may open in the same page), then opens, then moves."""
        table = SellerTurn.__table__
        if self.closes:
            ended = bindparam("b_ended", type_=BigInteger)
            outcome = case(
                (table.c.answered_at.is_not(None), ANSWERED_HERE),
                (and_(table.c.deadline.is_not(None), ended > table.c.deadline), DECIDED_BY_TIKTOK),
                else_=CHANGED_ELSEWHERE,
            )
            statement = (
                update(table)
                .where(table.c.request_pk == bindparam("b_pk"), table.c.ended_at.is_(None))
                .values(
                    ended_at=ended,
                    outcome=outcome,
                    end_status=bindparam("b_status"),
                    currency=bindparam("b_currency"),
                    refund_total=bindparam("b_total"),
                    closed_by=bindparam("b_source"),
                    closed_recorded_at=bindparam("b_recorded"),
                    updated_at=bindparam("b_recorded"),
                )
            )
            db.session.execute(statement, self.closes)
        if self.opens:
            db.session.execute(insert(table), self.opens)
        if self.moves:
            statement = (
                update(table)
                .where(table.c.request_pk == bindparam("b_pk"), table.c.ended_at.is_(None))
                .values(deadline=bindparam("b_deadline"), updated_at=bindparam("b_recorded"))
            )
            db.session.execute(statement, self.moves)


def record_answer(seller_id: int, request_pk: int, decision: str, claimed_at: datetime) -> SellerTurn | None:
    """A decision claimed at ``claimed_at`` succeeded on TikTok: the seller answered the turn it was for.

    That is the request's latest turn recorded before the claim, if it is still open or was closed
    after the claim (TikTok's status-change webhook may be stored before the decision job records
    TikTok's answer; that close was this decision's doing). Flushes; returns the turn, if any.
    """
    turn = db.session.scalars(
        for_seller(SellerTurn, seller_id)
        .where(
            SellerTurn.request_pk == request_pk,
            SellerTurn.recorded_at <= claimed_at,
            or_(SellerTurn.ended_at.is_(None), SellerTurn.closed_recorded_at >= claimed_at),
        )
        .order_by(SellerTurn.id.desc())
        .limit(1)
    ).first()
    if turn is None:
        return None
    turn.answered_at = turn.answered_at or utcnow()
    turn.updated_at = utcnow()
    turn.answer = decision
    if turn.ended_at is not None:
        turn.outcome = ANSWERED_HERE
    db.session.flush()
    return turn
