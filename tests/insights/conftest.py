"""Helpers for the insights tests: a seller with two shops in two currencies, a refresh that runs the
app's own job function, and the page's CSV files read back as dictionaries."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest

from connector_app.extensions import db
from connector_app.insights.jobs import refresh_seller
from tests.fixtures.request_thread import no_marketplace_call_on_a_web_request  # noqa: F401 (autouse)

DAY = 86_400
HOUR = 3_600


def this_monday() -> date:
    today = datetime.now(UTC).date()
    return today - timedelta(days=today.weekday())


def period_start(weeks: int) -> date:
    """The first day of the last ``weeks`` weeks (Monday to Sunday, UTC), the current one included."""
    return this_monday() - timedelta(weeks=weeks - 1)


def unix(day: date, hour: int = 12) -> int:
    return int(datetime(day.year, day.month, day.day, hour, tzinfo=UTC).timestamp())


@pytest.fixture
def us_shop(factories, seller):
    return factories.tiktok_shop(seller, name="Harbor US", region="US")


@pytest.fixture
def gb_shop(factories, seller):
    return factories.tiktok_shop(seller, name="Harbor GB", region="GB")


@pytest.fixture
def refresh(app):
    """Bring a seller's summaries up to date the way the job does (one transaction, committed)."""

    def run(seller_id: int, *, full: bool = False):
        with app.app_context():
            result = refresh_seller(seller_id, full=full)
            db.session.remove()
            return result

    return run


def read_csv(response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "text/csv"
    text = response.get_data(as_text=True).lstrip("\ufeff")
    return list(csv.DictReader(io.StringIO(text)))
