"""HTTP plumbing shared by the TikTok Shop and Etsy clients.

- ``build_session``: a ``requests.Session`` with a sized connection pool and no hidden urllib3 retries.
- ``TokenBucket`` / ``get_limiter``: a thread-safe rate limiter shared per key (app + shop) in the process.
- ``SharedRateLimiter``: the same limit shared by every process through Redis (web, all workers), falling
  back to the process's own bucket while Redis cannot be reached.
- ``HttpTransport``: one attempt = ``request()`` (the policy's timeout on every call, transport failures
  become ``TransportError``); ``run()`` repeats an attempt as its ``RetryPolicy`` says (exponential backoff
  + jitter with tenacity) while the raised ``MarketplaceError`` is ``retryable``, honouring ``Retry-After``
  up to the policy's limit and logging every retry.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, Protocol, TypeVar
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, wait_random_exponential

from .errors import MalformedResponse, MarketplaceError, RateLimited, TransportError
from .observe import CallObserved, Observer, RateLimitWaited, api_label
from .policy import BACKGROUND, RetryPolicy, Timeout

logger = logging.getLogger(__name__)

T = TypeVar("T")
__all__ = ["HttpTransport", "RetryPolicy", "Timeout"]


def pause(seconds: float) -> None:
    """How a transport without its own ``sleep`` waits between attempts (looked up at each wait)."""
    time.sleep(seconds)


def build_session(pool_connections: int = 10, pool_maxsize: int = 20) -> requests.Session:
    """A session whose adapters keep up to ``pool_maxsize`` connections per host."""
    session = requests.Session()
    adapter = HTTPAdapter(pool_connections=pool_connections, pool_maxsize=pool_maxsize, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


class TokenBucket:
    """Allows ``rate`` calls per second on average, bursts up to ``capacity``; blocks in ``acquire``."""

    def __init__(
        self,
        rate: float,
        capacity: float | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.rate = float(rate)
        self.capacity = float(capacity if capacity is not None else rate)
        self._tokens = self.capacity
        self._clock = clock
        self._sleep = sleep
        self._updated = clock()
        self._lock = threading.Lock()

    def _reserve(self) -> float:
        """Take a token; return how long the caller must wait before using it."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
            self._updated = now
            self._tokens -= 1
            return 0.0 if self._tokens >= 0 else -self._tokens / self.rate

    def acquire(self) -> float:
        wait = self._reserve()
        if wait > 0:
            self._sleep(wait)
        return wait


_limiters: dict[tuple[str, ...], TokenBucket] = {}
_limiters_lock = threading.Lock()


def get_limiter(key: tuple[str, ...], rate: float, **kwargs: Any) -> TokenBucket:
    """The process-wide bucket for ``key`` (for example ``("tiktok", app_key, shop_cipher)``)."""
    with _limiters_lock:
        bucket = _limiters.get(key)
        if bucket is None:
            bucket = _limiters[key] = TokenBucket(rate, **kwargs)
        return bucket


class Limiter(Protocol):
    def acquire(self) -> float:
        """Block until the next call may go out; return the seconds waited."""


# GCRA ("generic cell rate algorithm") in one atomic step on Redis' own clock, so processes on
# different machines agree: KEYS[1] holds the earliest time (µs) the next call may go out. Each call
# takes that slot, pushes it one interval further, and is told how long to wait for it.
_GCRA = """
local now = redis.call('TIME')
now = tonumber(now[1]) * 1000000 + tonumber(now[2])
local interval = tonumber(ARGV[1])
local slot = tonumber(redis.call('GET', KEYS[1]) or '0')
if slot < now then slot = now end
local ttl_ms = math.ceil((slot + interval - now) / 1000) + 1000
redis.call('SET', KEYS[1], tostring(slot + interval), 'PX', ttl_ms)
return slot - now
"""


class SharedRateLimiter:
    """At most ``rate`` calls per second for ``key`` across every process that uses the same Redis.

    Calls are spaced evenly (no burst), like the process-local ``TokenBucket(rate, capacity=1)``.
    While Redis cannot be reached the process's own bucket for the key applies, with a logged warning:
    the limit then holds per process only, and TikTok's 429s are retried with backoff as always.
    """

    def __init__(self, redis, key: str, rate: float, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self.key = key
        self.interval_us = max(1, round(1_000_000 / float(rate)))
        self._script = redis.register_script(_GCRA)
        self._fallback = get_limiter(("shared-fallback", key), rate, capacity=1)
        self._sleep = sleep

    def acquire(self) -> float:
        try:
            wait = int(self._script(keys=[self.key], args=[self.interval_us])) / 1_000_000
        except Exception as exc:  # redis.RedisError or a socket error: keep calling, limited locally
            logger.warning(
                "shared rate limiter %s unavailable (%r): limiting in this process only", self.key, exc
            )
            return self._fallback.acquire()
        if wait > 0:
            self._sleep(wait)
        return wait


def parse_retry_after(value: str | None) -> float | None:
    """``Retry-After`` in seconds (the HTTP-date form is ignored: the backoff applies instead)."""
    if not value:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return max(seconds, 0.0)


def load_json(response: requests.Response, marketplace: str) -> Any:
    """Decode a JSON body with decimals kept exact; anything unreadable is a ``MalformedResponse``."""
    try:
        return json.loads(response.content, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedResponse(
            f"the answer was not JSON (HTTP {response.status_code})",
            http_status=response.status_code,
            marketplace=marketplace,
        ) from exc


def _default_retry(exc: BaseException) -> bool:
    return isinstance(exc, MarketplaceError) and exc.retryable


class HttpTransport:
    """Timeouts, retries and logging for one marketplace client, as its ``RetryPolicy`` says."""

    def __init__(
        self,
        *,
        marketplace: str,
        session: requests.Session | None = None,
        policy: RetryPolicy = BACKGROUND,
        sleep: Callable[[float], None] | None = None,
        observer: Observer | None = None,
    ) -> None:
        self.marketplace = marketplace
        self.observer = observer
        self._last = threading.local()  # HTTP status of this thread's latest answer
        self.session = session if session is not None else build_session()
        self.policy = policy
        self.sleep = sleep
        self._backoff = wait_random_exponential(multiplier=policy.backoff_base, max=policy.backoff_max)

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        data: bytes | Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """One HTTP exchange; a timeout or connection failure becomes a retryable ``TransportError``."""
        self._last.status = None
        try:
            response = self.session.request(
                method, url, params=params, data=data, headers=headers, timeout=self.policy.timeout
            )
            self._last.status = response.status_code
            return response
        except (requests.Timeout, requests.ConnectionError) as exc:
            raise transport_error(exc, url, self.marketplace) from None

    def notify(self, event: CallObserved | RateLimitWaited) -> None:
        """Hand ``event`` to the observer, if any; an observer's failure never breaks the call."""
        if self.observer is None:
            return
        try:
            self.observer(event)
        except Exception:  # noqa: BLE001
            logger.exception("%s: the call observer failed", self.marketplace)

    def _observed(self, attempt: Callable[[], T], api: str) -> Callable[[], T]:
        def observed() -> T:
            self._last.status = None
            start = time.monotonic()
            try:
                result = attempt()
            except MarketplaceError as exc:
                status = exc.http_status or getattr(self._last, "status", None)
                error = exc.code or type(exc).__name__
                self.notify(CallObserved(self.marketplace, api, status, error, time.monotonic() - start))
                raise
            status = getattr(self._last, "status", None)
            self.notify(CallObserved(self.marketplace, api, status, None, time.monotonic() - start))
            return result

        return observed

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:
            return min(float(retry_after), self.policy.max_retry_after)
        return self._backoff(state)

    def run(
        self,
        attempt: Callable[[], T],
        *,
        describe: str,
        retry_if: Callable[[BaseException], bool] = _default_retry,
    ) -> T:
        """Call ``attempt`` until it returns, raises a non-retryable error, or attempts run out."""

        def log_retry(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            delay = state.next_action.sleep if state.next_action else 0.0
            if isinstance(exc, RateLimited):
                self.notify(RateLimitWaited(self.marketplace, "retry-after", delay))
            logger.warning(
                "%s %s: retrying in %.2fs (attempt %d/%d failed: %s: %s)",
                self.marketplace,
                describe,
                delay,
                state.attempt_number,
                self.policy.attempts,
                type(exc).__name__,
                getattr(exc, "message", None) or exc,
            )

        retrying = Retrying(
            retry=retry_if_exception(retry_if),
            stop=stop_after_attempt(self.policy.attempts),
            wait=self._wait,
            sleep=self.sleep or pause,
            before_sleep=log_retry,
            reraise=True,
        )
        if self.observer is not None:
            attempt = self._observed(attempt, api_label(describe))
        return retrying(attempt)


def transport_error(exc: requests.RequestException, url: str, marketplace: str) -> TransportError:
    """A ``TransportError`` naming only the failure's type and the host.

    The text of a requests/urllib3 error holds the whole URL, query string included, and TikTok's token
    calls carry ``app_secret``, ``auth_code`` and ``refresh_token`` there: that text, and the exception
    carrying it, must never reach a message, a log line or a traceback (callers raise ``from None``).
    """
    host = urlsplit(url).netloc or "unknown host"
    kind = type(exc).__name__
    if isinstance(exc, requests.Timeout):
        error = TransportError(f"no answer within the time limit ({kind} to {host})", marketplace=marketplace)
    else:
        error = TransportError(f"connection failed ({kind} to {host})", marketplace=marketplace)
    # Whether the request surely never reached the marketplace (see ``not_yet_processed``).
    error.never_sent = isinstance(exc, requests.ConnectTimeout) or not isinstance(exc, requests.Timeout)
    return error


def not_yet_processed(exc: BaseException) -> bool:
    """Retry predicate for calls that must not run twice (token exchange and refresh rotate tokens).

    Only failures where the marketplace surely did not act are retried: rate limiting, 503 overload,
    and connections that were never established.
    """
    if not isinstance(exc, MarketplaceError):
        return False
    if isinstance(exc, RateLimited) or (exc.code is None and exc.http_status == 503):
        return True
    if isinstance(exc, TransportError):
        return bool(getattr(exc, "never_sent", False))
    return False
