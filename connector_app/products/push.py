"""The push: one TikTok call per product and field, exactly once per change.

Protocol per change (a ``PushRecord``, unique per SKU, field and change):
1. ``claimed`` — inserted (a duplicate trigger finds the row and does nothing more), committed.
2. ``sending`` — one UPDATE moves ``claimed → sending``; only the worker whose UPDATE matched sends;
   committed before the call, so a SIGKILL after it leaves a trace.
3. The answer: ``done`` or ``failed`` (TikTok's per-SKU reason) per SKU. An answer that cannot say
   whether TikTok applied it (timeout, 5xx, garbage) is verified by reading the product back:
   ``done`` when TikTok shows the target, else ``check`` — a visible task, never a second write.
A row left ``sending`` by a killed worker is verified the same way at the start of the next run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from connector_app.connect.models import TikTokShop
from connector_app.extensions import db
from connector_app.marketplaces.errors import (
    AuthorizationLost,
    MalformedResponse,
    MarketplaceError,
    RateLimited,
    ServerError,
    TransportError,
)
from connector_app.marketplaces.tiktok.products import Product, ProductApi, UpdateResult
from connector_app.products import models as m
from connector_app.products.plan import Change, ProductPlan
from connector_app.tenancy import for_seller, get_for_seller
from connector_app.timeutil import utcnow

log = logging.getLogger(__name__)
AMBIGUOUS = (ServerError, TransportError, MalformedResponse)
STALE_SENDING = timedelta(minutes=2)
Step = Callable[[], None]  # commits the unit of work (job_step in jobs; a no-op where tests commit)


@dataclass
class PushSummary:
    calls: int = 0
    done: int = 0
    failed: int = 0
    check: int = 0
    held: int = 0
    skipped: int = 0
    messages: list[str] = field(default_factory=list)


def _target_text(change: Change) -> str:
    if change.field == m.INVENTORY:
        return ",".join(f"{w}={q}" for w, q in sorted(change.target.items()))
    if change.field == m.INFO:
        return change.target[0]
    return f"{change.target}"


def ensure_record(shop: TikTokShop, plan: ProductPlan, change: Change) -> m.PushRecord:
    """The change's ledger row: the existing one, or a new ``claimed`` (``held``) row. Flushes."""
    criteria = {"sku_pk": change.sku.id, "field": change.field, "change_key": change.change_key}
    row = get_for_seller(m.PushRecord, shop.seller_id, **criteria)
    if row is not None:
        return row
    row = m.PushRecord(
        seller_id=shop.seller_id,
        tiktok_shop_id=shop.id,
        product_id=plan.product.product_id,
        sku_id=change.sku.sku_id,
        before=change.before,
        target=_target_text(change),
        state=m.HELD if change.held else m.CLAIMED,
        message=(
            f"Price {change.before} → {change.after} changes by more than the limit: confirm it first"
            if change.held
            else None
        ),
        **criteria,
    )
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:  # a racing worker inserted it first
        return get_for_seller(m.PushRecord, shop.seller_id, **criteria)
    # A held change of the same SKU and field that Etsy has moved past is never sent.
    db.session.execute(
        update(m.PushRecord)
        .where(
            m.PushRecord.seller_id == shop.seller_id,
            m.PushRecord.sku_pk == change.sku.id,
            m.PushRecord.field == change.field,
            m.PushRecord.state == m.HELD,
            m.PushRecord.id != row.id,
        )
        .values(state=m.SUPERSEDED, message="Etsy changed again before it was confirmed: not sent")
        .execution_options(synchronize_session=False)
    )
    return row


def _claim(seller_id: int, record_id: int, run_id: str | None = None) -> bool:
    """``claimed → sending`` for one worker only; ``run_id``: the catalog run that sends it."""
    result = db.session.execute(
        update(m.PushRecord)
        .where(
            m.PushRecord.id == record_id, m.PushRecord.seller_id == seller_id, m.PushRecord.state == m.CLAIMED
        )
        .values(state=m.SENDING, sending_at=utcnow(), attempts=m.PushRecord.attempts + 1, run_id=run_id)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)


def _finish(
    record: m.PushRecord, sku: m.TikTokSku, state: str, message: str | None, summary: PushSummary
) -> None:
    record.state = state
    record.message = message
    record.done_at = utcnow() if state == m.DONE else None
    sku.last_push_state = state
    sku.last_push_message = message
    sku.last_push_at = utcnow()
    setattr(
        summary, state if state in ("done", "failed", "check") else "skipped", getattr(summary, state, 0) + 1
    )


def _shows(product: Product, field_name: str, sku_id: str, target: str) -> bool:
    """Whether TikTok's product shows the record's target (the verification read)."""
    if field_name == m.INFO:
        return product.title == target or product.audit_status == "AUDITING"
    sku = next((s for s in product.skus if s.id == sku_id), None)
    if sku is None:
        return False
    if field_name == m.PRICE:
        return sku.price is not None and sku.price == Decimal(target)
    return ",".join(f"{w}={q}" for w, q in sorted(sku.inventory)) == target


def verify(api: ProductApi, shop: TikTokShop, records: list[m.PushRecord], summary: PushSummary) -> None:
    """Records whose outcome is unknown: done if TikTok shows the target, else a task (``check``)."""
    by_product: dict[str, list[m.PushRecord]] = {}
    for record in records:
        by_product.setdefault(record.product_id, []).append(record)
    for product_id, rows in by_product.items():
        try:
            product = api.get_product(product_id)
        except MarketplaceError as exc:
            log.warning("could not verify pushes of product %s: %s", product_id, exc)
            continue  # still sending: the next run verifies again
        summary.calls += 1
        for record in rows:
            sku = db.session.get(m.TikTokSku, record.sku_pk)
            if sku is None:
                continue
            if _shows(product, record.field, record.sku_id, record.target):
                _finish(record, sku, m.DONE, "confirmed by reading TikTok back", summary)
            else:
                _finish(
                    record,
                    sku,
                    m.CHECK,
                    "TikTok did not confirm this change and does not show it: check the SKU on TikTok "
                    "(it is not sent again on its own)",
                    summary,
                )


def recover_sending(api: ProductApi, shop: TikTokShop, summary: PushSummary, step: Step) -> None:
    """Rows left ``sending`` (a killed worker, an unknown answer) are verified, never re-sent."""
    stale = db.session.scalars(
        for_seller(m.PushRecord, shop.seller_id).filter_by(tiktok_shop_id=shop.id, state=m.SENDING)
    ).all()
    if stale:
        verify(api, shop, list(stale), summary)
        step()


def _send(api: ProductApi, plan: ProductPlan, name: str, changes: list[Change]) -> UpdateResult:
    product_id = plan.product.product_id
    if name == m.PRICE:
        return api.update_price(product_id, {c.sku.sku_id: (c.target, c.sku.currency) for c in changes})
    if name == m.INVENTORY:
        return api.update_inventory(product_id, {c.sku.sku_id: c.target for c in changes})
    title, description = changes[0].target
    return api.partial_edit(product_id, title=title, description=description)


def _apply_to_mirror(change: Change) -> None:
    if change.field == m.PRICE:
        change.sku.price = change.target
    elif change.field == m.INVENTORY:
        change.sku.warehouse_stock = dict(change.target)
        change.sku.quantity = sum(change.target.values())
    else:
        change.sku.product.audit_status = "AUDITING"
    change.sku.differs = False


def push_field(
    api: ProductApi,
    shop: TikTokShop,
    plan: ProductPlan,
    name: str,
    summary: PushSummary,
    step: Step,
    run_id: str | None = None,
) -> None:
    changes = plan.of(name)
    if not changes:
        return
    records = {}
    for change in changes:
        record = ensure_record(shop, plan, change)
        if record.state == m.HELD:
            summary.held += 1
        records[change.change_key, change.sku.id] = record
    sending = [c for c in changes if _claim(shop.seller_id, records[c.change_key, c.sku.id].id, run_id)]
    step()  # the rows and their claims: "sending" is durable before TikTok is called
    if not sending:
        return
    mine = [records[c.change_key, c.sku.id] for c in sending]
    try:
        summary.calls += 1
        result = _send(api, plan, name, sending)
    except AMBIGUOUS as exc:
        log.warning("push of product %s (%s) has an unknown outcome: %s", plan.product.product_id, name, exc)
        verify(api, shop, mine, summary)
        step()
        return
    except (RateLimited, AuthorizationLost) as exc:
        for record in mine:  # not applied: back to claimed for the next run
            record.state, record.message = m.CLAIMED, exc.seller_message()
        step()
        if isinstance(exc, AuthorizationLost):
            raise
        return
    except MarketplaceError as exc:  # TikTok refused the whole call: nothing was applied
        for change, record in zip(sending, mine, strict=True):
            _finish(record, change.sku, m.FAILED, f"{exc.message} ({exc.code})", summary)
        step()
        return
    for change, record in zip(sending, mine, strict=True):
        failure = result.failed(change.sku.sku_id)
        if failure is not None:
            _finish(record, change.sku, m.FAILED, failure.reason(), summary)
        else:
            _apply_to_mirror(change)
            message = "sent to TikTok's review" if name == m.INFO else None
            _finish(record, change.sku, m.DONE, message, summary)
    step()


def push_shop(
    api: ProductApi,
    shop: TikTokShop,
    plans: Iterable[ProductPlan],
    step: Step,
    run_id: str | None = None,
    after_plan: Callable[[PushSummary], None] | None = None,
) -> PushSummary:
    """Push every plan. The plan's rows are not re-read after each of the many small commits (the
    state that decides — a record's claim — is always checked by an UPDATE's row count instead)."""
    summary = PushSummary()
    session = db.session()
    expire, session.expire_on_commit = session.expire_on_commit, False
    try:
        recover_sending(api, shop, summary, step)
        for plan in plans:
            summary.skipped += sum(1 for c in plan.changes if c.skip)
            for name in (m.PRICE, m.INVENTORY, m.INFO):
                push_field(api, shop, plan, name, summary, step, run_id)
            if after_plan is not None:
                after_plan(summary)
    finally:
        session.expire_on_commit = expire
    return summary


def confirm_held(seller_id: int, record_id: int, by: str | None = None) -> m.PushRecord | None:
    """The seller (``by``: who) confirms a held price change: it is sent by the next run. Flushes."""
    record = get_for_seller(m.PushRecord, seller_id, id=record_id)
    if record is None or record.state != m.HELD:
        return record
    record.state = m.CLAIMED
    record.message = "confirmed by you"
    record.confirmed_by = by
    db.session.flush()
    return record
