"""Return, refund, replacement and cancellation requests: the seller's turns (``returns.SellerTurn``).

- ``request_waiting``: a request started waiting on the seller (a new request, or a returned parcel to
  confirm) and is not inside a deadline threshold yet (then ``deadline_near`` says it instead).
- ``deadline_near``: a waiting request's deadline is within one of the seller's thresholds (default
  24 h and 4 h); one alert per threshold crossed, the tightest one when several were crossed at once.
- ``decided_by_tiktok``: the deadline passed with no answer and TikTok moved the request on — which
  status, and the refund at stake.

The scheduled scan reads two small sets through ``seller_turns``' indexes: the turns that changed since
the previous scan (opened, deadline moved, ended, answered: ``updated_at``) and, for each threshold in
use, the open turns whose deadline crossed it since then (a slice of the deadline index). A turn
answered through the app gets no deadline alert, and one that already ended gets none either.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from sqlalchemy import or_, select

from connector_app.accounts.models import Seller
from connector_app.connect.models import TikTokShop
from connector_app.extensions import db
from connector_app.notifications import paths
from connector_app.notifications.kinds import DIGEST, IMMEDIATE, Alert, Kind
from connector_app.notifications.paths import chunked
from connector_app.notifications.preferences import Prefs, prefs_for, thresholds_in_use
from connector_app.notifications.sources import Found, Window
from connector_app.returns.display import NEXT_ACTION_LABELS, TYPE_LABELS
from connector_app.returns.models import (
    DECIDED_BY_TIKTOK,
    KIND_CANCELLATION,
    ReturnLineItem,
    ReturnRequest,
    SellerTurn,
)
from connector_app.returns.tabs import TABS, status_label, tab_for_status
from connector_app.timeutil import ensure_aware, localize

WAITING = Kind(
    "request_waiting",
    "A request is waiting for your answer",
    "A buyer opened a return, refund, replacement or cancellation, or a returned parcel arrived for you "
    "to check.",
    email=DIGEST,
)
DEADLINE = Kind(
    "deadline_near",
    "A deadline is near",
    "A request you have not answered reaches one of your thresholds before TikTok's deadline.",
    email=IMMEDIATE,
)
DECIDED = Kind(
    "decided_by_tiktok",
    "TikTok decided for you",
    "The deadline passed without an answer and TikTok decided the request itself.",
    email=DIGEST,
)
REQUEST = "request"
# Turns are read as plain rows (a scan may read thousands: no ORM identity map for them).
TURNS = select(*SellerTurn.__table__.c)
# What TikTok does when the seller does not answer in time (the reference's "approves automatically").
AUTOMATIC = {
    "SELLER_RESPOND_RECEIVE_PACKAGE": "TikTok treats the parcel as accepted and refunds the buyer",
    "SELLER_RESPOND_CANCEL": "TikTok approves the cancellation",
}
AUTOMATIC_DEFAULT = "TikTok approves the request for you"


def _label(row) -> str:
    if row.kind == KIND_CANCELLATION:
        return "Cancellation"
    return TYPE_LABELS.get(row.request_type, "Request")


def _money(amount, currency) -> str:
    return "" if amount is None else f"{amount:,.2f} {currency or ''}".strip()


class RequestsSource:
    name = "requests"
    kinds = (WAITING, DEADLINE, DECIDED)

    # -- finding what is due ------------------------------------------------------------------------

    def scan(self, window: Window) -> Found:
        changed = TURNS.where(SellerTurn.updated_at > window.since)
        turns = {turn.id: turn for turn in db.session.execute(changed)}
        for hours in sorted(thresholds_in_use()):
            crossed = TURNS.where(
                SellerTurn.ended_at.is_(None),  # the partial index's condition: a range of its deadlines
                SellerTurn.deadline > window.since_unix + hours * 3600,
                SellerTurn.deadline <= window.now_unix + hours * 3600,
                SellerTurn.answered_at.is_(None),
            )
            turns.update({turn.id: turn for turn in db.session.execute(crossed)})
        return Found(self.alerts_for(turns.values(), window), rows_read=len(turns))

    def for_requests(self, seller_id: int, request_pks: list[int], window: Window) -> list[Alert]:
        """The event path: what the latest change of these requests makes due now."""
        turns = db.session.execute(
            TURNS.where(
                SellerTurn.seller_id == seller_id,
                SellerTurn.request_pk.in_(request_pks),
                or_(SellerTurn.ended_at.is_(None), SellerTurn.updated_at > window.since),
            )
        ).all()
        return self.alerts_for(turns, window)

    def alerts_for(self, turns: Iterable[SellerTurn], window: Window) -> list[Alert]:
        turns = list(turns)
        prefs = prefs_for(t.seller_id for t in turns)
        found: list[tuple[str, SellerTurn, int]] = []  # (kind, turn, stage)
        for turn in turns:
            found += self._due(turn, prefs[turn.seller_id], window)
        if not found:
            return []
        context = _Context.load({turn.request_pk for _, turn, _ in found}, {t.seller_id for _, t, _ in found})
        return [self._alert(kind, turn, stage, context) for kind, turn, stage in found]

    def _due(self, turn: SellerTurn, prefs: Prefs, window: Window) -> list[tuple[str, SellerTurn, int]]:
        if turn.ended_at is not None:
            closed = turn.closed_recorded_at
            recent = closed is not None and ensure_aware(closed) > window.since
            return [(DECIDED.key, turn, 0)] if turn.outcome == DECIDED_BY_TIKTOK and recent else []
        if turn.answered_at is not None:
            return []  # answered through the app: TikTok has it, nothing to warn about
        stage = prefs.stage_for(turn.deadline - window.now_unix) if turn.deadline else None
        if stage is not None:
            return [(DEADLINE.key, turn, stage)]
        opened_recently = ensure_aware(turn.recorded_at) > window.since
        still_open = turn.deadline is None or turn.deadline > window.now_unix
        return [(WAITING.key, turn, 0)] if opened_recently and still_open else []

    # -- what it says -------------------------------------------------------------------------------

    def _alert(self, kind: str, turn: SellerTurn, stage: int, context: _Context) -> Alert:
        row = context.requests[turn.request_pk]
        seller = context.sellers[turn.seller_id]
        what = f"{_label(row)} {row.request_id}"
        item = context.products.get(turn.request_pk)
        parts = [p for p in (item, _money(row.refund_total, row.currency), f"order {row.order_id}") if p]
        summary = " · ".join(parts) + f" · {row.shop_name} ({row.region})"
        key = {"seller_id": turn.seller_id, "subject_type": REQUEST, "subject_id": str(turn.request_pk)}
        link = paths.path_for("returns.detail", request_id=row.request_id)
        if kind == DECIDED.key:
            amount = _money(turn.refund_total, turn.currency)
            cost = f" The refund at stake: {amount}." if amount else ""
            body = (
                f"{summary}. The deadline ({_when(turn.deadline, seller)}) passed without an answer, and "
                f"TikTok moved the request to “{status_label(turn.end_status)}” "
                f"({_tab(turn.end_status)}).{cost}"
            )
            title = f"TikTok decided {what} for you"
            return Alert(kind=kind, title=title, body=body, link=link, deadline=turn.deadline or 0, **key)
        todo = NEXT_ACTION_LABELS.get(turn.action, "Answer it")
        automatic = AUTOMATIC.get(turn.action, AUTOMATIC_DEFAULT)
        due = _when(turn.deadline, seller) if turn.deadline else None
        if kind == DEADLINE.key:
            title = f"{stage} h left: {what} needs your answer"
            body = f"{summary}. {todo} by {due}. If you do not, {automatic}."
            return Alert(
                kind=kind, title=title, body=body, link=link, deadline=turn.deadline, stage=stage, **key
            )
        title = f"{what} is waiting for your answer"
        body = f"{summary}. {todo}" + (f" by {due}. If you do not, {automatic}." if due else ".")
        return Alert(kind=kind, title=title, body=body, link=link, deadline=turn.first_deadline or 0, **key)

    # -- just before sending ------------------------------------------------------------------------

    def still_relevant(self, notifications: list) -> set[int]:
        """Deadline and waiting alerts are sent only while the request still waits, unanswered."""
        waiting_kinds = (WAITING.key, DEADLINE.key)
        pks = {int(n.subject_id) for n in notifications if n.kind in waiting_kinds}
        open_pks: set[int] = set()
        for chunk in chunked(pks):
            open_pks.update(
                db.session.scalars(
                    select(SellerTurn.request_pk).where(
                        SellerTurn.request_pk.in_(chunk),
                        SellerTurn.ended_at.is_(None),
                        SellerTurn.answered_at.is_(None),
                    )
                )
            )
        return {n.id for n in notifications if n.kind not in waiting_kinds or int(n.subject_id) in open_pks}


def _tab(status: str | None) -> str:
    key = tab_for_status(status)
    return next((tab.label for tab in TABS if tab.key == key), "All")


def _when(unix: int | None, seller) -> str:
    if unix is None:
        return "—"
    local = localize(int(unix), seller.timezone)
    return f"{local.strftime(seller.date_format or '%Y-%m-%d %H:%M')} ({seller.timezone or 'UTC'})"


class _Context:
    """What the messages name, for every request and seller of one batch: three queries a thousand."""

    def __init__(self, requests: dict, sellers: dict, products: dict) -> None:
        self.requests, self.sellers, self.products = requests, sellers, products

    @classmethod
    def load(cls, request_pks: set[int], seller_ids: set[int]) -> _Context:
        context = cls({}, {}, {})
        for chunk in chunked(request_pks):
            context._load_requests(chunk)
        for chunk in chunked(seller_ids):
            sellers = db.session.execute(
                select(Seller.id, Seller.timezone, Seller.date_format).where(Seller.id.in_(chunk))
            )
            context.sellers.update({s.id: s for s in sellers})
        return context

    def _load_requests(self, request_pks: list[int]) -> None:
        rows = db.session.execute(
            select(
                ReturnRequest.id,
                ReturnRequest.request_id,
                ReturnRequest.kind,
                ReturnRequest.request_type,
                ReturnRequest.order_id,
                ReturnRequest.refund_total,
                ReturnRequest.currency,
                TikTokShop.name.label("shop_name"),
                TikTokShop.region,
            )
            .join(TikTokShop, TikTokShop.id == ReturnRequest.tiktok_shop_id)
            .where(ReturnRequest.id.in_(request_pks))
        )
        self.requests.update({r.id: r for r in rows})
        for pk, name in db.session.execute(
            select(ReturnLineItem.request_pk, ReturnLineItem.product_name)
            .where(ReturnLineItem.request_pk.in_(request_pks))
            .order_by(ReturnLineItem.request_pk, ReturnLineItem.id)
        ):
            if name and pk not in self.products:
                self.products[pk] = name[:80]


SOURCE = RequestsSource()
EVENT_LOOKBACK = timedelta(minutes=10)
