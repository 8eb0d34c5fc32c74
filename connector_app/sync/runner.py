"""One way to run a claimed sync run, for every subject (returns, orders, the catalog).

``run_claimed(seller_id, run_id, body)`` is what each subject's RQ job calls: it claims the queued run
(exactly one worker wins), calls ``body(run)`` — the subject's own reading and writing, which checkpoints
through ``sync.runs`` and ends with ``runs.checkpoint(..., finished=True)`` — and turns whatever stops
it into the run's end, the same way for every subject:

- the run was marked dead while this job was slow (``RunTakenOver``): stop without writing;
- TikTok's authorization is lost for good (``AuthorizationLost``): the shop is marked for reconnection
  (one banner sentence) and the run fails with TikTok's reason;
- any other marketplace fault (already retried by the client): the run fails, saying the next run
  resumes from its checkpoint;
- anything else: logged with its traceback, and the run fails with one plain sentence.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from connector_app.connect.clients import mark_needs_reconnect
from connector_app.connect.models import CONNECTED, TikTokAuthorization, TikTokShop
from connector_app.extensions import db
from connector_app.marketplaces.errors import AuthorizationLost, MarketplaceError
from connector_app.sync import runs
from connector_app.sync.models import FAILED, SUCCEEDED, SyncRun
from connector_app.sync.runs import RunTakenOver
from connector_app.tenancy import get_for_seller
from connector_app.transactions import job_step

log = logging.getLogger(__name__)

SKIPPED, TAKEN_OVER = "skipped", "taken-over"
RESUMES = " The next sync resumes from where this one stopped."
UNEXPECTED = "The sync stopped because of an unexpected error; the next sync resumes from where it stopped."


def run_claimed(
    seller_id: int,
    run_id: str,
    body: Callable[[SyncRun], object],
    *,
    on_marketplace_error: Callable[[SyncRun, MarketplaceError], None] | None = None,
    unexpected: str = UNEXPECTED,
) -> str:
    """Claim the run, run ``body(run)``, and end the run whatever happens; returns its final state
    (``succeeded``, ``failed``, ``skipped`` when another worker had it, ``taken-over``).

    ``on_marketplace_error(run, exc)`` lets a subject record the fault on its own rows too (in the same
    step as the run's failure)."""
    run = get_for_seller(SyncRun, seller_id, id=run_id)
    with job_step():
        claimed = run is not None and runs.claim(run)
    if not claimed:
        log.info("sync run %s is not queued any more: nothing to do", run_id)
        return SKIPPED
    db.session.refresh(run)
    subject, shop_pk = run.subject, run.tiktok_shop_id
    try:
        body(run)
    except RunTakenOver:
        db.session.rollback()
        log.warning("%s run %s was taken over (marked dead) while running: stopped", subject, run_id)
        return TAKEN_OVER
    except AuthorizationLost as exc:
        db.session.rollback()
        with job_step():
            shop = get_for_seller(TikTokShop, seller_id, id=shop_pk)
            authorization = shop.authorization if shop is not None else None
            if authorization is not None and authorization.status == CONNECTED:
                mark_needs_reconnect(TikTokAuthorization, authorization, exc.reason())
            runs.fail(seller_id, run_id, exc.seller_message())
        return FAILED
    except MarketplaceError as exc:
        db.session.rollback()
        log.warning("%s run %s failed: %r", subject, run_id, exc)
        with job_step():
            if on_marketplace_error is not None:
                on_marketplace_error(db.session.get(SyncRun, run_id), exc)
            runs.fail(seller_id, run_id, exc.seller_message() + RESUMES)
        return FAILED
    except Exception:
        db.session.rollback()
        log.exception("%s run %s failed unexpectedly", subject, run_id)
        with job_step():
            runs.fail(seller_id, run_id, unexpected)
        return FAILED
    log.info("%s run %s succeeded", subject, run_id)
    return SUCCEEDED
