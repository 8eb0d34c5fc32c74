"""A run's progress as an immutable value: what the job writes together with each page."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

from connector_app.returns.services import UpsertResult
from connector_app.sync.models import SyncRun


@dataclass(frozen=True)
class Checkpoint:
    phase: str | None = None
    page_token: str | None = None
    window_start: int | None = None
    phase_high_water: int | None = None
    pages_done: int = 0
    requests_done: int = 0
    total_expected: int | None = None
    created_count: int = 0
    updated_count: int = 0
    unchanged_count: int = 0

    @classmethod
    def of(cls, run: SyncRun) -> Checkpoint:
        return cls(**{name: getattr(run, name) for name in cls.__dataclass_fields__})

    def columns(self) -> dict:
        """SyncRun column values."""
        return asdict(self)

    def start_phase(self, phase: str, window_start: int | None) -> Checkpoint:
        return replace(self, phase=phase, page_token=None, window_start=window_start, phase_high_water=None)

    def at_token(self, page_token: str | None) -> Checkpoint:
        return replace(self, page_token=page_token)

    def with_total(self, total: int) -> Checkpoint:
        return replace(self, total_expected=max(total, self.requests_done))

    def after_page(self, count: int, result: UpsertResult) -> Checkpoint:
        """``result``: the page's upsert outcome — returns' ``UpsertResult`` or any value with the same
        ``created``, ``updated``, ``unchanged`` and ``max_update_time`` (other subjects' writers)."""
        marks = [m for m in (self.phase_high_water, result.max_update_time) if m is not None]
        done = self.requests_done + count
        return replace(
            self,
            pages_done=self.pages_done + 1,
            requests_done=done,
            # Requests that changed during the run show up again later in the same run.
            total_expected=max(self.total_expected or 0, done) if self.total_expected is not None else None,
            created_count=self.created_count + result.created,
            updated_count=self.updated_count + result.updated,
            unchanged_count=self.unchanged_count + result.unchanged,
            phase_high_water=max(marks) if marks else None,
        )

    def __str__(self) -> str:
        if self.phase is None:
            return "the start"
        return f"{self.phase} page {self.pages_done + 1}" + (" (resumed)" if self.page_token else "")
