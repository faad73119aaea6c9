"""The API's throttles keep DRF's sliding log; with the cache in Redis, as a sorted set counted
and added to in one atomic step (config/throttling.py, config/cache.py)."""

import secrets
import threading

import pytest
from django.conf import settings
from django.core.cache.backends.locmem import LocMemCache
from django.test import RequestFactory
from rest_framework.request import Request

from config.cache import RedisCache
from config.throttling import AnonRateThrottle

START = 1_800_000_000.25


@pytest.fixture
def redis_cache():
    cache = RedisCache(settings.REDIS_URL, {"KEY_PREFIX": f"test-{secrets.token_hex(6)}"})
    yield cache
    client = cache._cache.get_client(write=True)
    for key in client.scan_iter(f"{cache.key_prefix}:*"):
        client.delete(key)


@pytest.fixture(params=["redis", "in process"])
def cache(request):
    if request.param == "redis":
        return request.getfixturevalue("redis_cache")
    return LocMemCache(f"throttle-{secrets.token_hex(6)}", {})


def throttle(cache, rate: str, now: float, address: str = "203.0.113.9") -> AnonRateThrottle:
    """A fresh throttle, as DRF makes one per request, for one anonymous client at `now`."""
    made = AnonRateThrottle()
    made.cache = cache
    made.rate = rate
    made.num_requests, made.duration = made.parse_rate(rate)
    made.timer = lambda: now
    made.request = Request(RequestFactory().get("/", REMOTE_ADDR=address))
    return made


def asks(cache, rate: str, now: float, address: str = "203.0.113.9") -> tuple[bool, float | None]:
    """Return whether a request at `now` is let through, and the wait a refused one is told."""
    made = throttle(cache, rate, now, address)
    allowed = made.allow_request(made.request, None)
    return allowed, None if allowed else made.wait()


def test_it_refuses_a_request_beyond_the_rate_until_the_oldest_leaves_the_window(cache):
    """Both logs agree with DRF's reckoning, to the boundary: a request exactly one period
    after the oldest is let through, and a refused one is told how long to wait."""
    assert [asks(cache, "3/minute", START + offset)[0] for offset in (0, 10, 20)] == [True] * 3

    assert asks(cache, "3/minute", START + 30) == (False, pytest.approx(30.0))
    assert asks(cache, "3/minute", START + 59.5) == (False, pytest.approx(0.5))
    assert asks(cache, "3/minute", START + 60) == (True, None)
    assert asks(cache, "3/minute", START + 60.5)[0] is False  # the new one counts


def test_it_refuses_every_request_at_a_rate_of_none(cache):
    assert asks(cache, "0/minute", START) == (False, pytest.approx(60.0))


def test_it_counts_each_address_apart(cache):
    assert asks(cache, "1/minute", START)[0] is True
    assert asks(cache, "1/minute", START + 1, address="198.51.100.4")[0] is True
    assert asks(cache, "1/minute", START + 2)[0] is False


def test_it_counts_every_request_made_at_once_by_many_clients(redis_cache):
    """Eight threads at once, 40 requests against a limit of 25: exactly 25 go through, and
    the log in Redis holds one entry per request let through."""
    barrier = threading.Barrier(8)
    allowed = []

    def client(number: int) -> None:
        barrier.wait()
        for step in range(5):
            allowed.append(asks(redis_cache, "25/minute", START + number / 100 + step / 10)[0])

    threads = [threading.Thread(target=client, args=(number,)) for number in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert allowed.count(True) == 25
    key = redis_cache.make_and_validate_key("throttle_anon_203.0.113.9:log")
    redis = redis_cache._cache.get_client(write=True)
    assert redis.type(key) == b"zset"
    assert redis.zcard(key) == 25
    assert 59 <= redis.ttl(key) <= 60


def test_it_keeps_its_log_apart_from_a_log_drfs_throttle_wrote(redis_cache):
    """While processes still running DRF's throttle write a pickled list under the throttle's
    key (an upgrade under way), both go on counting: neither reads the other's value."""
    redis_cache.set("throttle_anon_203.0.113.9", [START - 1, START - 2], 60)

    assert asks(redis_cache, "3/minute", START) == (True, None)
    assert redis_cache.get("throttle_anon_203.0.113.9") == [START - 1, START - 2]


def test_it_keeps_one_redis_client_per_server(redis_cache):
    redis_cache.set("greeting", "hello")

    assert redis_cache.get("greeting") == "hello"
    assert redis_cache._cache.get_client() is redis_cache._cache.get_client(write=True)
