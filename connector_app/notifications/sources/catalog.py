"""The catalog's pushes to TikTok Shop (``products.models.PushRecord``) that ended needing the seller.

- ``catalog_push_check``: a write was sent but TikTok did not confirm it and does not show it (a
  timeout, a 5xx, a killed worker): the seller checks the SKU on TikTok; it is never sent again on its
  own.
- ``catalog_push_failed``: TikTok refused the write, with its per-SKU reason.
- ``catalog_change_held``: a price change above the shop's limit waits for the seller's click.

Once per (seller, push record, kind): the subject is the record, so a record that fails, or a held
change that is confirmed and then fails, is told once per state it reached. The scheduled scan reads
the records that reached one of these states since the previous scan (the ``state, updated_at`` index:
one small range per state), never the whole ledger; a record that moved on before the scan (a held
change confirmed or superseded) is not in that range and gets no alert.
"""

from __future__ import annotations

from sqlalchemy import and_, select

from connector_app.connect.models import TikTokShop
from connector_app.extensions import db
from connector_app.notifications import paths
from connector_app.notifications.kinds import DIGEST, IMMEDIATE, Alert, Kind
from connector_app.notifications.paths import chunked
from connector_app.notifications.sources import Found, Window
from connector_app.products import models as m

GROUP = "Catalog (TikTok Shop Settings)"
CHECK = Kind(
    "catalog_push_check",
    "A TikTok push needs checking",
    "A price, stock or product change was sent to TikTok Shop but TikTok did not confirm it: check the "
    "SKU on TikTok (it is not sent again on its own).",
    email=IMMEDIATE,
    group=GROUP,
)
FAILED = Kind(
    "catalog_push_failed",
    "TikTok refused a push",
    "TikTok Shop refused a price, stock or product change for a SKU, and said why.",
    email=IMMEDIATE,
    group=GROUP,
)
HELD = Kind(
    "catalog_change_held",
    "A price change waits for you",
    "An Etsy price change is larger than your limit: it is sent to TikTok Shop only after you confirm it.",
    email=DIGEST,
    group=GROUP,
)
KIND_OF_STATE = {m.CHECK: CHECK.key, m.FAILED: FAILED.key, m.HELD: HELD.key}
STATE_OF_KIND = {kind: state for state, kind in KIND_OF_STATE.items()}
SUBJECT = "push"
FIELD_LABELS = {m.PRICE: "price", m.INVENTORY: "stock", m.INFO: "product information"}
COLUMNS = (
    m.PushRecord.id,
    m.PushRecord.seller_id,
    m.PushRecord.sku_pk,
    m.PushRecord.sku_id,
    m.PushRecord.product_id,
    m.PushRecord.field,
    m.PushRecord.before,
    m.PushRecord.target,
    m.PushRecord.state,
    m.PushRecord.message,
    m.TikTokSku.seller_sku,
    m.TikTokProduct.title,
    TikTokShop.name.label("shop_name"),
    TikTokShop.region,
)


def _records(*where):  # noqa: ANN202 - a select of plain rows
    return (
        select(*COLUMNS)
        .join(m.TikTokSku, m.TikTokSku.id == m.PushRecord.sku_pk)
        .join(m.TikTokProduct, m.TikTokProduct.id == m.TikTokSku.product_pk)
        .join(TikTokShop, TikTokShop.id == m.PushRecord.tiktok_shop_id)
        .where(*where)
    )


class CatalogSource:
    name = "catalog"
    kinds = (CHECK, FAILED, HELD)

    def scan(self, window: Window) -> Found:
        rows = []
        for state in KIND_OF_STATE:  # one range of the (state, updated_at) index each
            rows += db.session.execute(
                _records(m.PushRecord.state == state, m.PushRecord.updated_at > window.since)
            ).all()
        return Found([self._alert(row) for row in rows], rows_read=len(rows))

    def _alert(self, row) -> Alert:
        kind = KIND_OF_STATE[row.state]
        what = FIELD_LABELS.get(row.field, row.field)
        sku = row.seller_sku or row.sku_id
        where = (
            f"{(row.title or 'Product ' + row.product_id)[:80]} · SKU {sku} · {row.shop_name} ({row.region})"
        )
        reason = (row.message or "").rstrip(". ")
        if kind == HELD.key:
            title = f"Confirm the price change of SKU {sku}"
            body = (
                f"{where}. The Etsy price moved {row.before} → {row.target}, more than your limit allows: it "
                "is sent to TikTok Shop only after you confirm it on the Products page."
            )
            link = paths.path_for("products.index", tab="errors")
        elif kind == CHECK.key:
            title = f"Check the {what} of SKU {sku} on TikTok Shop"
            body = (
                f"{where}. The connector sent {_target(row)} but TikTok did not confirm it and does not show "
                "it. It is not sent again on its own: check the SKU on TikTok Shop."
            )
            link = paths.path_for("products.sku_detail", sku_pk=row.sku_pk)
        else:
            title = f"TikTok refused the {what} of SKU {sku}"
            body = f"{where}. TikTok Shop refused {_target(row)}" + (f": {reason}." if reason else ".")
            link = paths.path_for("products.sku_detail", sku_pk=row.sku_pk)
        return Alert(
            seller_id=row.seller_id,
            kind=kind,
            subject_type=SUBJECT,
            subject_id=str(row.id),
            title=title,
            body=body,
            link=link,
        )

    def still_relevant(self, notifications: list) -> set[int]:
        """Check and held alerts are sent while the record still waits in that state; a failure while no
        later push of the same SKU and field went through."""
        ids = {int(n.subject_id) for n in notifications}
        current: dict[int, tuple[str, int, str]] = {}
        for chunk in chunked(ids):
            current.update(
                {
                    row.id: (row.state, row.sku_pk, row.field)
                    for row in db.session.execute(
                        select(
                            m.PushRecord.id, m.PushRecord.state, m.PushRecord.sku_pk, m.PushRecord.field
                        ).where(m.PushRecord.id.in_(chunk))
                    )
                }
            )
        fixed = self._fixed_later({pk: v for pk, v in current.items() if v[0] == m.FAILED})
        keep = set()
        for n in notifications:
            pk = int(n.subject_id)
            state = current.get(pk, (None,))[0]
            if state == STATE_OF_KIND.get(n.kind) and pk not in fixed:
                keep.add(n.id)
        return keep

    def _fixed_later(self, failed: dict[int, tuple[str, int, str]]) -> set[int]:
        fixed = set()
        for record_id, (_, sku_pk, field) in failed.items():
            later = db.session.scalar(
                select(m.PushRecord.id)
                .where(
                    and_(
                        m.PushRecord.sku_pk == sku_pk,
                        m.PushRecord.field == field,
                        m.PushRecord.id > record_id,
                        m.PushRecord.state == m.DONE,
                    )
                )
                .limit(1)
            )
            if later is not None:
                fixed.add(record_id)
        return fixed


def _target(row) -> str:
    if row.field == m.PRICE:
        return f"the price {row.target}"
    if row.field == m.INVENTORY:
        return f"the stock {row.target.replace(',', ', ')} (warehouse=quantity)"
    return "the Etsy title and description"


SOURCE = CatalogSource()
