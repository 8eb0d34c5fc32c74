import threading

import pytest

from connector_app.marketplaces.errors import (
    AuthorizationLost,
    MalformedResponse,
    NotFound,
    RateLimited,
    ServerError,
    TokenExpired,
    TransportError,
)
from connector_app.marketplaces.http import TokenBucket, build_session, get_limiter, parse_retry_after


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_token_bucket_allows_a_burst_then_paces():
    clock = FakeClock()
    bucket = TokenBucket(50, clock=clock, sleep=clock.sleep)
    for _ in range(50):
        bucket.acquire()
    assert clock.slept == []
    bucket.acquire()
    assert clock.slept == [pytest.approx(1 / 50)]
    for _ in range(49):
        bucket.acquire()
    assert clock.now == pytest.approx(50 / 50)


def test_a_bucket_without_burst_never_exceeds_the_rate_in_any_one_second_window():
    clock = FakeClock()
    bucket = TokenBucket(50, capacity=1, clock=clock, sleep=clock.sleep)
    times = []
    for _ in range(300):
        bucket.acquire()
        times.append(clock.now)
    assert max(sum(1 for t in times if start <= t < start + 1.0 - 1e-9) for start in times) <= 50
    assert times[-1] == pytest.approx(299 / 50)


def test_token_bucket_is_thread_safe():
    clock = FakeClock()
    lock = threading.Lock()
    waits = []

    def sleep(seconds):
        with lock:
            waits.append(seconds)

    bucket = TokenBucket(10, clock=clock, sleep=sleep)
    threads = [threading.Thread(target=bucket.acquire) for _ in range(30)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # 10 go at once; the other 20 were given distinct slots 0.1 s apart.
    assert sorted(round(w, 3) for w in waits) == [round(0.1 * i, 3) for i in range(1, 21)]


def test_limiters_are_shared_per_key():
    assert get_limiter(("t", "app", "shop1"), 50) is get_limiter(("t", "app", "shop1"), 50)
    assert get_limiter(("t", "app", "shop1"), 50) is not get_limiter(("t", "app", "shop2"), 50)


def test_session_has_a_sized_pool_and_no_hidden_retries():
    adapter = build_session(pool_connections=3, pool_maxsize=7).get_adapter("https://x.test")
    assert adapter._pool_maxsize == 7 and adapter._pool_connections == 3
    assert adapter.max_retries.total == 0


def test_retry_after_parsing():
    assert parse_retry_after("12") == 12.0
    assert parse_retry_after(" 1.5 ") == 1.5
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") is None
    assert parse_retry_after(None) is None


@pytest.mark.parametrize(
    ("error", "text"),
    [
        (TokenExpired, "The access token for Etsy has expired and needs to be renewed."),
        (
            AuthorizationLost,
            "Etsy no longer authorizes this connection (revoked); please reconnect your shop.",
        ),
        (RateLimited, "Etsy is receiving too many requests right now; please try again in a minute."),
        (ServerError, "Etsy is having a temporary problem; please try again later."),
        (TransportError, "Etsy could not be reached; please try again in a few minutes."),
        (NotFound, "Etsy could not find that record (revoked)."),
        (MalformedResponse, "Etsy sent an answer that could not be read; please try again later."),
    ],
)
def test_errors_read_as_sentences(error, text):
    exc = error("revoked", marketplace="Etsy", code=123)
    assert str(exc) == text and exc.code == "123"
    assert exc.retryable is (error in (RateLimited, ServerError, TransportError, MalformedResponse))
