"""The HTTP side of a sync run: one background thread that fetches the next page while the job's own
thread writes the current one to the database.

The thread only does HTTP. It has its own application context and loads the shop and its
authorization once into a session it then closes, so the client's token-refresh hook (which writes
through its own connection, see ``connect.clients``) never touches the job thread's session.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from flask import Flask

from connector_app.connect.clients import tiktok_client_for
from connector_app.connect.models import TikTokShop
from connector_app.extensions import db
from connector_app.marketplaces.tiktok import TikTokClient
from connector_app.marketplaces.tiktok.types import AftersaleRequest, Page
from connector_app.tenancy import get_for_seller

RETURNS = "returns"
CANCELLATIONS = "cancellations"
PHASES = (RETURNS, CANCELLATIONS)
PAGE_SIZE = 50


@dataclass(frozen=True)
class PageRequest:
    phase: str
    page_token: str | None
    window_start: int | None  # update_time_ge, or None for everything
    page_size: int = PAGE_SIZE


def search(client: TikTokClient, request: PageRequest) -> Page[AftersaleRequest]:
    """One page of Search Returns / Search Cancellations, oldest change first."""
    filters = {} if request.window_start is None else {"update_time_ge": int(request.window_start)}
    method = client.search_returns if request.phase == RETURNS else client.search_cancellations
    return method(
        filters,
        page_size=request.page_size,
        page_token=request.page_token or None,
        sort_field="update_time",
        sort_order="ASC",
    )


class PageFetcher:
    """Fetches pages for one shop on a single background thread (at most one request in flight)."""

    def __init__(self, app: Flask, seller_id: int, shop_pk: int) -> None:
        self._app = app
        self._seller_id = seller_id
        self._shop_pk = shop_pk
        self._client: TikTokClient | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"sync-fetch-{shop_pk}")

    def _get_client(self) -> TikTokClient:
        if self._client is None:
            shop = get_for_seller(TikTokShop, self._seller_id, id=self._shop_pk)
            if shop is None:
                raise LookupError(f"shop {self._shop_pk} is gone")
            shop.authorization  # noqa: B018 - load it before the session closes
            self._client = tiktok_client_for(shop)
            db.session.close()  # detach: the refresh hook reads and writes through its own connection
        return self._client

    def _fetch(self, request: PageRequest) -> Page[AftersaleRequest]:
        with self._app.app_context():
            return search(self._get_client(), request)

    def submit(self, request: PageRequest) -> Future[Page[AftersaleRequest]]:
        return self._executor.submit(self._fetch, request)

    def close(self, wait: bool = True) -> None:
        """Stop the thread. ``wait=False`` after a failure: an in-flight fetch is left to finish alone."""
        self._executor.shutdown(wait=wait, cancel_futures=True)

    def __enter__(self) -> PageFetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
