"""Insights: why things come back, what it costs, and how fast the seller answers.

The page (``/insights``) reads summary tables (``insights.models``) that a refresh job keeps in step
with the requests and seller turns the returns feature writes (``insights.jobs``); ``flask insights
rebuild`` and ``flask insights check`` recompute and verify them. Return rates come from the orders
feature through ``insights.signals.units_sold`` (answered by ``insights.units`` from the synced orders).
"""

from __future__ import annotations

import click
from flask import Blueprint, Flask
from flask.cli import AppGroup

bp = Blueprint("insights", __name__, url_prefix="/insights")

from connector_app.insights import routes  # noqa: E402,F401

cli = AppGroup("insights", help="Rebuild or check the insights summaries.")


@cli.command("rebuild")
@click.option("--seller", "seller_id", type=int, default=None, help="Only this seller (default: all).")
def rebuild_command(seller_id: int | None) -> None:
    """Recompute every week of the summaries from the requests and seller turns."""
    from connector_app.insights.jobs import refresh_all, refresh_seller

    if seller_id is not None:
        result = refresh_seller(seller_id, full=True)
        click.echo(f"seller {seller_id}: {'not found' if result is None else f'{result.weeks} week(s)'}")
        return
    click.echo(f"rebuilt the insights of {refresh_all(full=True)} seller(s)")


@cli.command("check")
@click.option("--seller", "seller_id", type=int, default=None, help="Only this seller (default: all).")
@click.option("--repair", is_flag=True, help="Rebuild the sellers whose summaries differ from a recount.")
def check_command(seller_id: int | None, repair: bool) -> None:
    """Compare the stored summaries with a recount from the rows; exit 1 if any seller's differ."""
    from sqlalchemy import select

    from connector_app.accounts.models import Seller
    from connector_app.extensions import db
    from connector_app.insights.jobs import refresh_seller
    from connector_app.insights.summaries import differences

    sellers = [seller_id] if seller_id is not None else list(db.session.scalars(select(Seller.id)))
    wrong = 0
    for seller in sellers:
        found = differences(seller)
        db.session.rollback()
        if not found:
            continue
        wrong += 1
        tables = ", ".join(f"{name} ({len(a)} stored/{len(b)} recounted)" for name, (a, b) in found.items())
        click.echo(f"seller {seller}: {tables}")
        if repair:
            refresh_seller(seller, full=True)
            click.echo(f"seller {seller}: rebuilt")
    click.echo(f"{len(sellers) - wrong} of {len(sellers)} seller(s) match a recount")
    if wrong and not repair:
        raise SystemExit(1)


def percent_of(part: int, whole: int) -> str:
    """``part`` of ``whole`` as a whole percentage ("—" when there is no whole)."""
    return f"{part / whole:.0%}" if whole else "—"


def init_app(app: Flask) -> None:
    """Refresh a seller's figures when their requests change, sweep for missed changes, CLI, filters."""
    from connector_app.commands import register_periodic
    from connector_app.insights import jobs, units
    from connector_app.insights.report import median_label
    from connector_app.insights.signals import units_sold
    from connector_app.returns.signals import requests_changed

    app.jinja_env.filters["percent_of"] = percent_of
    app.jinja_env.filters["median_label"] = median_label

    requests_changed.connect(jobs.on_requests_changed, weak=False)
    units_sold.connect(units.units_sold, weak=False)  # the orders feature's units sold, for return rates
    register_periodic(app, jobs.periodic_refresh, jobs.PERIODIC_SECONDS)
    app.cli.add_command(cli)
