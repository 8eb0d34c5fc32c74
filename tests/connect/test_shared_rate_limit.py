"""TikTok's per-shop rate limit is shared by every process through Redis, not kept per process."""

from __future__ import annotations

import logging
import threading
import time

from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from connector_app.connect.clients import shop_rate_limiter, tiktok_client_for
from connector_app.extensions import db, rq
from connector_app.marketplaces.http import SharedRateLimiter


def _hammer(limiters: list[SharedRateLimiter], calls_each: int) -> float:
    """Each limiter (one per simulated process) acquires ``calls_each`` times on its own thread."""
    start = threading.Barrier(len(limiters) + 1)

    def run(limiter: SharedRateLimiter) -> None:
        start.wait()
        for _ in range(calls_each):
            limiter.acquire()

    threads = [threading.Thread(target=run, args=(limiter,)) for limiter in limiters]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.monotonic()
    for thread in threads:
        thread.join()
    return time.monotonic() - began


def test_two_processes_share_one_limit(app_ctx):
    key = f"{app_ctx.config['RQ_QUEUE']}:test:shared-limit"
    # Two limiters on two connections: what two worker processes would hold.
    limiters = [SharedRateLimiter(Redis.from_url(_url(), decode_responses=False), key, 100) for _ in range(2)]
    elapsed = _hammer(limiters, 20)
    assert elapsed >= 39 / 100 * 0.95  # 40 calls spaced 10 ms apart overall, not 20 per process


def test_separate_shops_do_not_wait_for_each_other(app_ctx):
    prefix = f"{app_ctx.config['RQ_QUEUE']}:test:separate"
    limiters = [SharedRateLimiter(rq.connection, f"{prefix}:{n}", 20) for n in range(2)]
    assert _hammer(limiters, 5) < 8 / 20  # two shops × 5 calls: each on its own 50 ms spacing


class _RedisDown:
    """A Redis client whose every command fails the way a dropped connection does."""

    def register_script(self, script):
        def run(**_):
            raise RedisConnectionError("Connection refused")

        return run


def test_an_unreachable_redis_falls_back_to_the_process_limit_and_says_so(app_ctx, caplog):
    limiter = SharedRateLimiter(_RedisDown(), "nowhere", 100)
    with caplog.at_level(logging.WARNING):
        waits = [limiter.acquire() for _ in range(3)]
    assert sum(waits) > 0.015  # still spaced 10 ms apart: the local bucket (no burst) applied
    assert "limiting in this process only" in caplog.text


def test_shop_clients_use_the_shared_limiter(app_ctx, factories, seller):
    shop = db.session.merge(factories.tiktok_shop(seller))
    client = tiktok_client_for(shop)
    assert client._limiter is shop_rate_limiter(shop.cipher, app_ctx.config["TIKTOK_US_APP_KEY"])
    assert isinstance(client._limiter, SharedRateLimiter)
    assert shop.cipher in client._limiter.key


def _url() -> str:
    kwargs = rq.connection.connection_pool.connection_kwargs
    if "path" in kwargs:  # the embedded Redis listens on a unix socket
        return f"unix://{kwargs['path']}?db={kwargs.get('db', 0)}"
    return f"redis://{kwargs.get('host', '127.0.0.1')}:{kwargs.get('port', 6379)}/{kwargs.get('db', 0)}"
