"""Alerts about the catalog's pushes to TikTok Shop that need the seller: a write TikTok did not confirm
(``check``), one it refused (``failed``), a price change held for the seller's click (``held``).

Once per (seller, push record, kind) across repeated and racing scans; a record that moved on before
the scan gets none; another seller never sees it; the links open the SKU (or the held change) for the
seller and are a 404 for anyone else. The scan reads only the records changed since the last scan.
"""

from __future__ import annotations

import time
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, text, update

from connector_app.extensions import db
from connector_app.notifications import scan
from connector_app.notifications.models import Notification
from connector_app.notifications.sources.catalog import SOURCE as CATALOG
from connector_app.products import models as m
from connector_app.products import push
from connector_app.timeutil import utcnow
from connector_app.transactions import job_step
from tests.fixtures.factories import PASSWORD
from tests.notifications.conftest import by_kind, deliveries, notifications, sent_mail, tick

CHECK, FAILED, HELD = "catalog_push_check", "catalog_push_failed", "catalog_change_held"


class Catalog:
    """One TikTok product with SKUs of one seller's shop, and push records on them."""

    def __init__(self, app, shop) -> None:
        self.app, self.shop = app, shop
        with app.app_context():
            product = m.TikTokProduct(
                seller_id=shop.seller_id, tiktok_shop_id=shop.id, product_id="1729500000000000001",
                title="Stoneware teapot", status="ACTIVATE",
            )  # fmt: skip
            db.session.add(product)
            db.session.flush()
            self.skus = []
            for n in range(3):
                sku = m.TikTokSku(
                    seller_id=shop.seller_id, tiktok_shop_id=shop.id, product_pk=product.id,
                    sku_id=f"17295000000000001{n}", seller_sku=f"TEAPOT-{n}", price=Decimal("20.00"),
                    currency="USD", quantity=5, warehouse_stock={"W1": 5}, link_state=m.LINKED,
                )  # fmt: skip
                db.session.add(sku)
                db.session.flush()
                self.skus.append(sku.id)
            db.session.commit()
        self.count = 0

    def record(self, state: str, *, sku: int = 0, field: str = m.PRICE, message: str | None = None) -> int:
        """A push record as the push leaves it: claimed, then moved to ``state``."""
        self.count += 1
        with self.app.app_context():
            sku_row = db.session.get(m.TikTokSku, self.skus[sku])
            record = m.PushRecord(
                seller_id=self.shop.seller_id, tiktok_shop_id=self.shop.id, sku_pk=sku_row.id,
                product_id="1729500000000000001", sku_id=sku_row.sku_id, field=field,
                change_key=f"change-{self.count}", before="20.00",
                target="48.00" if field == m.PRICE else "W1=3", state=m.CLAIMED,
            )  # fmt: skip
            db.session.add(record)
            db.session.commit()
            record.state, record.message = state, message
            db.session.commit()
            return record.id

    def set_state(self, record_id: int, state: str) -> None:
        with self.app.app_context():
            db.session.get(m.PushRecord, record_id).state = state
            db.session.commit()


@pytest.fixture
def catalog(app, shop):
    return Catalog(app, shop)


@pytest.fixture
def seller_client(client, auth, verified):
    assert auth.login(verified.email, PASSWORD).status_code == 302
    return client


def test_each_push_needing_the_seller_is_one_alert_with_the_kinds_default_channels(app, catalog):
    check = catalog.record(m.CHECK, message="TikTok did not confirm this change and does not show it")
    failed = catalog.record(m.FAILED, sku=1, field=m.INVENTORY, message="Stock exceeds the limit (12052010)")
    held = catalog.record(m.HELD, sku=2, message="Price 20.00 → 48.00 changes by more than the limit")
    catalog.record(m.DONE, sku=1)  # done: nothing to tell
    for _ in range(3):  # the scheduled scan, again and again: the same alerts
        tick(app)
    rows = notifications(app)
    assert sorted((n.kind, n.subject_type, n.subject_id) for n in rows) == sorted(
        [(CHECK, "push", str(check)), (FAILED, "push", str(failed)), (HELD, "push", str(held))]
    )
    [c] = by_kind(rows, CHECK)
    assert c.title == "Check the price of SKU TEAPOT-0 on TikTok Shop"
    assert "48.00" in c.body and "Stoneware teapot" in c.body and "Harbor Goods (US)" in c.body
    assert c.link == f"/products/skus/{catalog.skus[0]}"
    [f] = by_kind(rows, FAILED)
    assert f.title == "TikTok refused the stock of SKU TEAPOT-1"
    assert "Stock exceeds the limit (12052010)" in f.body and f.link == f"/products/skus/{catalog.skus[1]}"
    [h] = by_kind(rows, HELD)
    assert h.link == "/products?tab=errors" and "20.00 → 48.00" in h.body
    # check and failed are emailed right away (one delivery each), held waits for the digest
    assert sorted(d.notification_id for d in deliveries(app)) == sorted([c.id, f.id])
    mailed = " ".join(str(message.body) for message in sent_mail(app))
    assert f"/products/skus/{catalog.skus[0]}" in mailed and f"/products/skus/{catalog.skus[1]}" in mailed


def test_a_record_that_moved_on_before_the_scan_gets_no_alert(app, catalog):
    confirmed = catalog.record(m.HELD)
    with app.app_context(), job_step():
        push.confirm_held(catalog.shop.seller_id, confirmed)  # the seller clicked before the scan
    superseded = catalog.record(m.HELD, sku=1)
    catalog.set_state(superseded, m.SUPERSEDED)  # Etsy moved again: never sent, nothing to confirm
    tick(app)
    assert notifications(app) == []


def test_a_held_change_confirmed_that_then_fails_is_told_once_per_state(app, catalog):
    record = catalog.record(m.HELD)
    tick(app)
    with app.app_context(), job_step():
        push.confirm_held(catalog.shop.seller_id, record)
    catalog.set_state(record, m.FAILED)
    tick(app)
    tick(app)
    assert sorted(n.kind for n in notifications(app)) == [HELD, FAILED]


def test_the_scan_reads_only_the_records_changed_since_the_last_scan(app, catalog):
    for n in range(5):
        catalog.record(m.DONE, sku=n % 3)
    first = catalog.record(m.FAILED)
    report = tick(app)
    assert report.rows_read["catalog"] == 1 and report.created == 1
    with app.app_context():  # the previous scan's mark: everything so far is older
        db.session.execute(
            update(m.PushRecord)
            .values(updated_at=utcnow() - timedelta(hours=1))
            .where(m.PushRecord.id <= first)
        )
        db.session.commit()
    second = catalog.record(m.CHECK, sku=1)
    report = tick(app)
    assert report.rows_read["catalog"] == 1  # the new one only, not the failure told before
    assert [n.subject_id for n in by_kind(notifications(app), CHECK)] == [str(second)]
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            plan = " ".join(
                str(row[-1])
                for row in db.session.execute(
                    text(
                        "EXPLAIN QUERY PLAN SELECT id FROM product_push_records "
                        "WHERE state = 'failed' AND updated_at > '2026-01-01'"
                    )
                )
            )
            assert "ix_product_push_records_state_updated" in plan, plan


def test_an_update_by_a_statement_moves_updated_at_as_the_push_does(app, catalog):
    """The push's claim and supersede are Core UPDATEs: they too mark the row changed."""
    record = catalog.record(m.HELD)
    with app.app_context():
        before = db.session.scalar(select(m.PushRecord.updated_at).where(m.PushRecord.id == record))
    time.sleep(0.01)
    with app.app_context():
        db.session.execute(update(m.PushRecord).where(m.PushRecord.id == record).values(state=m.SUPERSEDED))
        db.session.commit()
        after = db.session.scalar(select(m.PushRecord.updated_at).where(m.PushRecord.id == record))
    assert after > before


def test_another_seller_never_sees_it_and_the_links_are_theirs_alone(
    app, factories, catalog, seller_client, client, auth
):
    mine = catalog.record(m.FAILED, message="Price below the minimum (12052048)")
    other = factories.seller(email="other@shop.example")
    theirs = Catalog(app, factories.tiktok_shop(other, name="Other Goods"))
    their_record = theirs.record(m.CHECK)
    tick(app)
    [alert] = notifications(app, catalog.shop.seller_id)
    [their_alert] = notifications(app, other.id)
    assert alert.subject_id == str(mine) and their_alert.subject_id == str(their_record)
    page = seller_client.get("/notifications").get_data(as_text=True)
    assert "TEAPOT-0" in page and "Other Goods" not in page
    sku_page = seller_client.get(alert.link)
    assert sku_page.status_code == 200 and "TEAPOT-0" in sku_page.get_data(as_text=True)
    assert seller_client.get(their_alert.link).status_code == 404  # another seller's SKU
    assert seller_client.post_form(f"/notifications/{their_alert.id}/open").status_code == 404
    opened = seller_client.post_form(f"/notifications/{alert.id}/open")  # the bell's link: to the SKU
    assert opened.status_code == 303 and opened.headers["Location"] == alert.link


def test_the_held_alerts_link_shows_the_change_to_confirm(app, catalog, seller_client):
    held = catalog.record(m.HELD, message="Price 20.00 → 48.00 changes by more than the limit")
    tick(app)
    [alert] = notifications(app)
    page = seller_client.get(alert.link).get_data(as_text=True)
    assert "Price change held" in page and f"/products/pushes/{held}/confirm" in page


def test_the_settings_page_lists_the_catalog_kinds_from_the_registry(seller_client):
    page = seller_client.get("/notifications/settings").get_data(as_text=True)
    assert "Catalog (TikTok Shop Settings)" in page
    for label in ("A TikTok push needs checking", "TikTok refused a push", "A price change waits for you"):
        assert label in page


def test_a_held_change_is_in_the_daily_digest_with_its_link(app, catalog, verified):
    catalog.record(m.HELD, message="Price 20.00 → 48.00 changes by more than the limit")
    now = utcnow()
    tick(app, now, digests=True)  # the alert, and the seller's digest schedule
    assert sent_mail(app) == []  # not right away
    tick(app, now + timedelta(days=1), digests=True)
    [mail] = sent_mail(app)
    assert "daily summary" in mail.subject
    assert "Confirm the price change of SKU TEAPOT-0" in mail.body
    assert "http://127.0.0.1:5000/products?tab=errors" in mail.body


def test_a_held_alert_is_not_emailed_once_confirmed_nor_a_failure_a_later_push_fixed(app, catalog):
    held = catalog.record(m.HELD)
    failed = catalog.record(m.FAILED, sku=1)
    still = catalog.record(m.FAILED, sku=2)
    tick(app)
    with app.app_context(), job_step():
        push.confirm_held(catalog.shop.seller_id, held)
    catalog.record(m.DONE, sku=1)  # the same SKU and field went through later
    with app.app_context():
        rows = db.session.scalars(select(Notification)).all()
        relevant = CATALOG.still_relevant(rows)
        assert {int(n.subject_id) for n in rows if n.id in relevant} == {still}
        assert failed not in {int(n.subject_id) for n in rows if n.id in relevant}


@pytest.mark.slow
def test_racing_scanners_in_separate_processes_raise_each_alert_once(app, catalog, tmp_path):
    from tests.notifications.mail_backend import sent_files
    from tests.notifications.test_exactly_once import _child, _env, _run_all

    ids = [catalog.record(m.CHECK, sku=n) for n in range(3)]
    maildir = tmp_path / "mail"
    maildir.mkdir()
    _run_all(
        [_child("tick", "3") for _ in range(3)], _env(app, maildir, ALERT_TEST_START_AT=str(time.time() + 8))
    )
    rows = notifications(app)
    assert sorted(int(n.subject_id) for n in rows) == sorted(ids) and {n.kind for n in rows} == {CHECK}
    files = sent_files(maildir)
    for sku in catalog.skus:  # each in exactly one email, whichever process sent it
        assert sum(f.split("Content-Type: text/html")[0].count(f"/products/skus/{sku}") for f in files) == 1


def test_the_scan_window_keeps_racing_late_commits(app, catalog):
    """A record that changed just before the previous scan's mark (a transaction that committed late)
    is still read: the window starts a little before the mark."""
    tick(app)
    record = catalog.record(m.CHECK)
    with app.app_context():
        db.session.execute(
            update(m.PushRecord)
            .where(m.PushRecord.id == record)
            .values(updated_at=utcnow() - scan.OVERLAP / 2)
        )
        db.session.commit()
    tick(app)
    assert [n.subject_id for n in notifications(app)] == [str(record)]


# -- through the real push, against the sandbox -------------------------------------------------------


@pytest.mark.integration
def test_a_push_tiktok_did_not_confirm_is_one_alert_linking_to_its_sku(app, factories, monkeypatch):
    """The catalog run sends a price change, TikTok answers 502 without applying it, the read-back does
    not show it: the record becomes ``check`` — and the next scans raise one alert for it."""
    from connector_app.marketplaces.errors import ServerError
    from connector_app.marketplaces.tiktok.products import ProductApi
    from tests.products.helpers import connect_both, records, run_catalog, switch_on
    from tests.sync.helpers import point_app_at, sandbox_for

    with sandbox_for(5, SANDBOX_ETSY_QPS=10_000) as sb:
        point_app_at(app, sb)
        seller = factories.seller()
        shop = connect_both(app, sb, seller)
        run_catalog(app, shop.id)  # read only
        with app.app_context():
            db.session.get(m.ProductSyncSettings, shop.id).max_price_change_percent = 1000
            db.session.commit()
        switch_on(app, shop.id, "sync_price")
        original, calls = ProductApi.update_price, []

        def first_call_lost(self, product_id, prices):
            calls.append(product_id)
            if len(calls) == 1:
                raise ServerError("HTTP 502", http_status=502, marketplace="TikTok Shop")
            return original(self, product_id, prices)

        monkeypatch.setattr(ProductApi, "update_price", first_call_lost)
        assert run_catalog(app, shop.id) == "succeeded"
        checks = [r for r in records(app) if r.state == m.CHECK]
        assert checks, "the lost call left no task"
        tick(app)
        tick(app)
        rows = notifications(app, seller.id)
        rows = [n for n in rows if n.kind.startswith("catalog_")]  # its returns wait too
        assert sorted(int(n.subject_id) for n in rows) == sorted(r.id for r in checks)
        assert {n.kind for n in rows} == {CHECK}
        assert {n.link for n in rows} == {f"/products/skus/{r.sku_pk}" for r in checks}
