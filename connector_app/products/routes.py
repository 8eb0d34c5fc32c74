"""``/products``: the catalog (TikTok SKUs beside their Etsy SKUs), links, TikTok Shop Settings per shop
with a preview before anything is switched on, and the push log.

Views load through the tenancy helpers (another seller's SKU or shop is a 404), never call a
marketplace (a click starts a catalog run: a job), and write only on POST (CSRF-protected).
"""

from __future__ import annotations

from contextlib import suppress

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import func

from connector_app.connect.models import TikTokShop
from connector_app.extensions import db
from connector_app.inputs import parse_id
from connector_app.listings.services import connected_etsy
from connector_app.products import bp, jobs, push, queries, services
from connector_app.products import models as m
from connector_app.products.forms import ShopSettingsForm
from connector_app.products.mirror import settings_for
from connector_app.products.plan import plan_shop
from connector_app.sync.services import SyncUnavailable, active_runs
from connector_app.templating import is_htmx, render_page
from connector_app.tenancy import for_seller, get_for_seller, get_for_seller_or_404


def _no_store(response):  # noqa: ANN001, ANN202
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("")
@login_required
def index():
    shops = queries.shops(current_user.id)
    params = queries.parse_params(shops)
    counts = queries.counts(current_user.id, params)
    result = queries.page(current_user.id, params, counts[params.tab])
    tab_links = [
        (t, url_for(".index", **params.args(tab=t.key, page=None)), counts[t.key]) for t in queries.TABS
    ]
    return _no_store(
        render_page(
            "products/index.html",
            "grid",
            fragment=is_htmx(),
            shops=shops,
            params=params,
            counts=counts,
            tab_links=tab_links,
            current_url=url_for(".index", **params.args()),
            current_tab=next(t for t in queries.TABS if t.key == params.tab),
            page=result,
            tasks=queries.open_tasks(current_user.id),
            catalog_runs=[r for r in active_runs(current_user.id) if r.subject == jobs.SUBJECT],
            settings={s.id: settings_for(s) for s in shops},
            link_labels=m.LINK_LABELS,
            status_labels=m.STATUS_LABELS,
        )
    )


def _sku(sku_pk: int) -> m.TikTokSku:
    return get_for_seller_or_404(m.TikTokSku, sku_pk)


@bp.get("/skus/<id:sku_pk>")
@login_required
def sku_detail(sku_pk: int):
    sku = _sku(sku_pk)
    sku.product, sku.etsy  # noqa: B018 - loaded by the view, never while the template renders
    q = (request.args.get("q") or sku.seller_sku or "").strip()[:100]
    return _no_store(
        render_page(
            "products/sku.html",
            sku=sku,
            q=q,
            choices=queries.etsy_choices(current_user.id, q),
            link_labels=m.LINK_LABELS,
            status_labels=m.STATUS_LABELS,
            records=[r for r in queries.push_log(current_user.id, 500) if r.sku_pk == sku.id][:20],
        )
    )


@bp.post("/skus/<id:sku_pk>/link")
@login_required
def link(sku_pk: int):
    sku = _sku(sku_pk)
    etsy_pk = parse_id(request.form.get("etsy_sku"))
    etsy = get_for_seller(m.EtsyCatalogSku, current_user.id, id=etsy_pk) if etsy_pk else None
    if etsy is None or etsy.gone:
        flash("Choose one of your Etsy SKUs to link to.", "error")
        return redirect(url_for(".sku_detail", sku_pk=sku.id), 303)
    services.link(sku, etsy)
    flash(f"{sku.seller_sku or sku.sku_id} is linked to the Etsy SKU {etsy.sku}.", "success")
    return redirect(url_for(".sku_detail", sku_pk=sku.id), 303)


@bp.post("/skus/<id:sku_pk>/unlink")
@login_required
def unlink(sku_pk: int):
    sku = _sku(sku_pk)
    services.unlink(sku)
    flash(f"{sku.seller_sku or sku.sku_id} is unlinked: nothing is pushed to it.", "success")
    return redirect(url_for(".sku_detail", sku_pk=sku.id), 303)


@bp.post("/skus/<id:sku_pk>/auto")
@login_required
def auto_link(sku_pk: int):
    sku = _sku(sku_pk)
    services.reset_link(sku)
    flash("The SKU is matched by its SKU again.", "success")
    return redirect(url_for(".sku_detail", sku_pk=sku.id), 303)


@bp.post("/pushes/<id:record_id>/confirm")
@login_required
def confirm_push(record_id: int):
    record = get_for_seller_or_404(m.PushRecord, record_id)
    if record.state != m.HELD:
        flash("This change is not waiting for a confirmation any more.", "info")
    else:
        push.confirm_held(current_user.id, record.id, current_user.email)
        flash("Confirmed: the next run sends it.", "success")
    return redirect(url_for(".index", tab="errors"), 303)


@bp.get("/pushes")
@login_required
def pushes():
    return _no_store(render_page("products/pushes.html", records=queries.push_log(current_user.id)))


def _shop(shop_pk: int) -> TikTokShop:
    return get_for_seller_or_404(TikTokShop, shop_pk)


@bp.post("/shops/<id:shop_pk>/sync")
@login_required
def sync_now(shop_pk: int):
    shop = _shop(shop_pk)
    if not shop.is_connected:
        flash("This shop is not connected.", "error")
        return redirect(url_for(".settings"), 303)
    try:
        run = jobs.start_catalog_sync(shop, "manual")
    except SyncUnavailable as exc:
        flash(str(exc), "error")
        return redirect(url_for(".settings"), 303)
    return redirect(url_for("sync.run", run_id=run.id), 303)


# -- TikTok Shop Settings ---------------------------------------------------------------------------


def form_for(shop: TikTokShop, formdata=None) -> ShopSettingsForm:  # noqa: ANN001
    row = settings_for(shop)
    form = ShopSettingsForm(formdata=formdata, obj=row if formdata is None else None)
    form.warehouse_ids.choices = [(w, name) for w, name in (row.known_warehouses or [])]
    return form


@bp.get("/settings")
@login_required
def settings():
    shops = queries.shops(current_user.id)
    polling = jobs.polling_shops()
    listings = jobs.listing_count(current_user.id)
    rows = {s.id: settings_for(s) for s in shops}
    return _no_store(
        render_page(
            "products/settings.html",
            shops=shops,
            forms={s.id: form_for(s) for s in shops},
            rows=rows,
            cadences={s.id: jobs.cadence(rows[s.id], max(1, polling), listings) for s in shops},
            stock_follows=_stock_follows(),
            currencies=_currencies(shops),
        )
    )


def _currencies(shops: list[TikTokShop]) -> dict[int, tuple[str | None, str | None]]:
    """(Etsy's currency, the TikTok shop's) per shop, from the connection and the mirrored SKUs."""
    etsy = connected_etsy(current_user.id)
    rows = db.session.execute(
        for_seller(m.TikTokSku, current_user.id)
        .with_only_columns(m.TikTokSku.tiktok_shop_id, func.max(m.TikTokSku.currency))
        .group_by(m.TikTokSku.tiktok_shop_id)
    ).all()
    tiktok = dict(rows)
    return {s.id: (etsy.currency if etsy else None, tiktok.get(s.id)) for s in shops}


def _stock_follows() -> bool:
    from connector_app.accounts.preferences import stock_follows_sales

    return stock_follows_sales(current_user.id) is not None


@bp.post("/settings/<id:shop_pk>")
@login_required
def save_settings(shop_pk: int):
    shop = _shop(shop_pk)
    form = form_for(shop, request.form)
    if not form.validate():
        shops = queries.shops(current_user.id)
        forms = {s.id: (form if s.id == shop.id else form_for(s)) for s in shops}
        rows = {s.id: settings_for(s) for s in shops}
        return _no_store(
            render_page(
                "products/settings.html",
                status=422,
                shops=shops,
                forms=forms,
                rows=rows,
                cadences={
                    s.id: jobs.cadence(
                        rows[s.id], max(1, jobs.polling_shops()), jobs.listing_count(current_user.id)
                    )
                    for s in shops
                },
                stock_follows=_stock_follows(),
                currencies=_currencies(shops),
            )
        )
    turning_on = services.save_settings(shop, form)
    if turning_on:
        return redirect(url_for(".preview", shop_pk=shop.id, on=",".join(turning_on)), 303)
    flash(f"Settings of {shop.name} saved.", "success")
    return redirect(url_for(".settings") + f"#shop-{shop.id}", 303)


def _fields(raw: str | None) -> list[str]:
    names = [n for n in (raw or "").split(",") if n in services.SWITCHES]
    if not names:
        abort(404)
    return names


@bp.get("/settings/<id:shop_pk>/preview")
@login_required
def preview(shop_pk: int):
    shop = _shop(shop_pk)
    names = _fields(request.args.get("on"))
    row = settings_for(shop)
    plans = plan_shop(shop, row, fields={services.SWITCHES[n] for n in names})
    changes = [c for p in plans for c in p.changes]
    read = db.session.scalar(
        for_seller(m.TikTokProduct, current_user.id)
        .where(m.TikTokProduct.tiktok_shop_id == shop.id)
        .with_only_columns(func.max(m.TikTokProduct.refreshed_at))
    )
    return _no_store(
        render_page(
            "products/preview.html",
            shop=shop,
            names=names,
            changes=changes,
            will_change=len({c.sku.id for c in changes if c.skip is None}),
            read_at=read,
            stock_follows=_stock_follows(),
        )
    )


@bp.post("/settings/<id:shop_pk>/confirm")
@login_required
def confirm(shop_pk: int):
    shop = _shop(shop_pk)
    names = _fields(request.form.get("on"))
    try:
        services.switch_on(shop, names)
    except services.NotAllowed as exc:
        flash(str(exc), "error")
        return redirect(url_for(".preview", shop_pk=shop.id, on=",".join(names)), 303)
    with suppress(SyncUnavailable):  # the schedule starts it
        jobs.start_catalog_sync(shop, "manual")
    flash(f"Switched on for {shop.name}: the first push is on its way.", "success")
    return redirect(url_for(".settings") + f"#shop-{shop.id}", 303)
