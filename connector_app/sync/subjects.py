"""What a sync run reads: returns (this feature's own), and the subjects features above register.

Every subject runs on the same machinery: a ``SyncRun`` row per run (``subject`` names it), one active
run per (shop, subject) across every process, claim / heartbeat / checkpoint / fail through
``sync.runs``, resume from the checkpoint of a failed or dead run, progress and history on the Sync
page, and the shop's schedule (``enqueue_due_syncs`` starts every scheduled subject of a due shop).

A feature registers its subject in its ``init_app``::

    register(Subject(name="orders", label="Orders", job="connector_app.orders.jobs.run_order_sync",
                     has_synced=lambda shop: ...))

``job`` is the dotted path of the RQ job, called as ``job(seller_id, run_id)``; it claims the run with
``runs.claim`` and ends it with ``runs.checkpoint(..., finished=True)`` or ``runs.fail``. ``has_synced``
answers whether the shop was ever read completely (if not, the next run is a full one).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from connector_app.sync import schedule

RETURNS = "returns"


@dataclass(frozen=True)
class Subject:
    name: str  # stored in SyncRun.subject (≤ 16 characters)
    label: str  # what the Sync page calls it: "Returns", "Orders", "Catalog"
    job: str  # dotted path of the RQ job: job(seller_id, run_id) -> final state
    has_synced: Callable[[Any], bool]  # (TikTokShop) -> the shop was read completely once
    scheduled: bool = True  # started by the shop's schedule together with returns
    # (SyncRun) -> SubjectProgress, or None to show the returns' counts: a subject's own phases and counts
    progress: Callable[[Any], SubjectProgress | None] | None = None


@dataclass(frozen=True)
class SubjectProgress:
    """How a subject describes its run on the progress bar: ``percent`` (0-100, None while unknown),
    ``line`` while it runs (phase and counts), ``summary`` once it finished."""

    percent: int | None
    line: str
    summary: str | None = None


_registry: dict[str, Subject] = {}


def register(subject: Subject) -> None:
    if len(subject.name) > 16:
        raise ValueError(f"subject name {subject.name!r} is longer than 16 characters")
    _registry[subject.name] = subject


def get(name: str) -> Subject:
    try:
        return _registry[name]
    except KeyError:
        raise LookupError(f"no sync subject {name!r} is registered") from None


def registered() -> list[Subject]:
    """Returns first, then the others in the order they registered."""
    return list(_registry.values())


def label(name: str) -> str:
    subject = _registry.get(name)
    return subject.label if subject is not None else name.capitalize()


def progress_of(run) -> SubjectProgress | None:  # noqa: ANN001
    """The run's subject's own description of its progress (None: the returns' counts apply)."""
    subject = _registry.get(run.subject)
    if subject is None or subject.progress is None:
        return None
    return subject.progress(run)


def _returns_synced(shop) -> bool:
    return schedule.read_state(shop).returns_high_water is not None


register(
    Subject(name=RETURNS, label="Returns", job="connector_app.sync.jobs.run_sync", has_synced=_returns_synced)
)
