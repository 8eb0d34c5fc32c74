"""How hard a marketplace client tries: attempts, backoff, ``Retry-After`` and timeouts in one value.

The caller chooses the policy for where the call runs:

- ``BACKGROUND`` for jobs (sync, decisions, restocking, refreshes): six attempts with exponential backoff
  up to 30 s, and a ``Retry-After`` honoured up to 120 s. A job may wait; it has nobody in front of it.
- ``INTERACTIVE`` for the few calls a person waits for (the OAuth callbacks): at most two quick
  attempts, never more than a second of waiting between them, short timeouts. A brown-out then
  fails the page fast instead of holding a web thread for a minute.
- ``TOKEN_CALLS`` for token exchange and refresh, which retry only what surely did not reach the
  marketplace (see ``http.not_yet_processed``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

Timeout = float | tuple[float, float]


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int  # tries in all (1 = no retry)
    backoff_max: float  # seconds: the longest exponential backoff between two tries
    max_retry_after: float  # seconds: a longer Retry-After is cut to this
    timeout: Timeout  # requests' (connect, read) timeout of each try
    backoff_base: float = 0.5  # seconds: the first backoff (it doubles, with jitter, up to backoff_max)

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("a policy makes at least one attempt")

    def limited(self, *, read_timeout: float | None = None, backoff_base: float | None = None) -> RetryPolicy:
        """This policy with a read timeout and first backoff no longer than given (configuration can
        shorten a policy, never lengthen it)."""
        timeout = self.timeout
        if read_timeout is not None:
            connect, read = timeout if isinstance(timeout, tuple) else (timeout, timeout)
            timeout = (min(connect, read_timeout), min(read, read_timeout))
        base = self.backoff_base if backoff_base is None else min(self.backoff_base, backoff_base)
        return replace(self, timeout=timeout, backoff_base=base)


BACKGROUND = RetryPolicy(attempts=6, backoff_max=30.0, max_retry_after=120.0, timeout=(5.0, 30.0))
INTERACTIVE = RetryPolicy(
    attempts=2, backoff_max=0.5, max_retry_after=1.0, timeout=(3.0, 10.0), backoff_base=0.2
)
TOKEN_CALLS = RetryPolicy(attempts=4, backoff_max=30.0, max_retry_after=120.0, timeout=(5.0, 30.0))
