"""Every catalog push in the action log (``actions.signals.log_entries``): one entry per TikTok call —
a product's price, stock or information in one catalog run — with what was sent per SKU, TikTok's
answer and reason, and what started the run. A change held for the seller, or not sent yet, is an
entry of its own."""

from __future__ import annotations

from flask import url_for

from connector_app.actions import signals as log
from connector_app.connect.models import TikTokShop
from connector_app.extensions import db
from connector_app.products import models as m
from connector_app.sync.models import SyncRun
from connector_app.tenancy import for_seller
from connector_app.timeutil import ensure_aware

FIELD_LABELS = {m.PRICE: "Price", m.INVENTORY: "Stock", m.INFO: "Title and description"}
TRIGGERS = {
    "manual": "You (Sync products now, or a confirmed preview)",
    "schedule": "The schedule",
    "etsy": "A change of your Etsy listings",
    "etsy_order": "An Etsy sale (ORDER_PAID)",
    "webhook": "A TikTok notification",
}
# PushRecord.state → (what the seller reads, badge tone)
OUTCOMES = {
    m.DONE: ("Done", log.OK),
    m.FAILED: ("Refused by TikTok", log.DANGER),
    m.CHECK: ("Check on TikTok", log.WARN),
    m.HELD: ("Waits for your confirmation", log.WARN),
    m.SUPERSEDED: ("Not sent: Etsy changed again", log.INFO),
    m.SENDING: ("Sending…", log.INFO),
    m.CLAIMED: ("Waiting to be sent", log.INFO),
}
ROWS_PER_ENTRY = 20  # records read per entry asked for (one call names several SKUs)


def _change(record: m.PushRecord) -> str:
    after = record.target.replace(",", ", ") if record.field == m.INVENTORY else record.target
    if record.field == m.INFO:
        return f"“{after}”"
    before = (record.before or "—").replace(",", ", ") if record.field == m.INVENTORY else record.before
    return f"{before or '—'} → {after}"


def _outcome(records: list[m.PushRecord]) -> tuple[str, str]:
    states = [r.state for r in records]
    if len(set(states)) == 1:
        return OUTCOMES.get(states[0], (states[0], log.INFO))
    failed = states.count(m.FAILED)
    if failed:
        return f"{failed} of {len(states)} SKUs refused by TikTok", log.DANGER
    if m.CHECK in states:
        return f"{states.count(m.CHECK)} of {len(states)} SKUs to check on TikTok", log.WARN
    done = states.count(m.DONE)
    return f"{done} of {len(states)} SKUs done", log.INFO


def _actor(records: list[m.PushRecord], runs: dict[str, SyncRun]) -> str:
    run = runs.get(records[0].run_id or "")
    confirmed = sorted({r.confirmed_by for r in records if r.confirmed_by})
    after = f" · held price change confirmed by {', '.join(confirmed)}" if confirmed else ""
    if run is not None:
        return f"Catalog sync — started by: {TRIGGERS.get(run.trigger, run.trigger)}{after}"
    if records[0].state in (m.HELD, m.SUPERSEDED):
        return "Catalog sync (held: a price change above your limit)"
    return f"Catalog sync{after}"


def push_entries(_sender, *, seller_id: int, limit: int, **_) -> list[log.LogEntry]:
    """``log_entries``: the seller's latest pushes, one entry per product call (every query scoped
    by seller, all run here: the log's template runs none)."""
    records = db.session.scalars(
        for_seller(m.PushRecord, seller_id)
        .order_by(m.PushRecord.created_at.desc(), m.PushRecord.id.desc())
        .limit(limit * ROWS_PER_ENTRY)
    ).all()
    if not records:
        return []
    groups: dict[tuple, list[m.PushRecord]] = {}
    for record in records:
        call = record.run_id or f"record-{record.id}"
        groups.setdefault((call, record.tiktok_shop_id, record.product_id, record.field), []).append(record)
    run_ids = {r.run_id for r in records if r.run_id}
    runs = {
        run.id: run
        for run in db.session.scalars(for_seller(SyncRun, seller_id).where(SyncRun.id.in_(run_ids)))
    }
    skus = {
        sku.id: sku
        for sku in db.session.scalars(
            for_seller(m.TikTokSku, seller_id).where(m.TikTokSku.id.in_({r.sku_pk for r in records}))
        )
    }
    products = {
        (p.tiktok_shop_id, p.product_id): p
        for p in db.session.scalars(
            for_seller(m.TikTokProduct, seller_id).where(
                m.TikTokProduct.product_id.in_({r.product_id for r in records})
            )
        )
    }
    shops = {s.id: s for s in db.session.scalars(for_seller(TikTokShop, seller_id))}
    entries = []
    for (_call, shop_pk, product_id, field), rows in groups.items():
        rows.sort(key=lambda r: r.id)
        product = products.get((shop_pk, product_id))
        shop = shops.get(shop_pk)
        outcome, tone = _outcome(rows)
        lines = []
        for record in rows:
            sku = skus.get(record.sku_pk)
            label = (sku.seller_sku if sku is not None and sku.seller_sku else None) or f"SKU {record.sku_id}"
            text, line_tone = OUTCOMES.get(record.state, (record.state, log.INFO))
            lines.append(log.LogLine(label, _change(record), text, line_tone, record.message))
        moments = [ensure_aware(r.sending_at or r.created_at) for r in rows]
        name = product.title if product is not None and product.title else f"Product {product_id}"
        entries.append(
            log.LogEntry(
                at=min(moments),
                kind=log.PUSH,
                title=f"{FIELD_LABELS.get(field, field)} of {len(rows)} SKU{'s' if len(rows) != 1 else ''}"
                + (f" in {shop.name}" if shop is not None else ""),
                actor=_actor(rows, runs),
                outcome=outcome,
                tone=tone,
                subject=name,
                subject_url=url_for("products.index", q=product_id, shop=shop_pk),
                lines=lines,
            )
        )
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries[:limit]
