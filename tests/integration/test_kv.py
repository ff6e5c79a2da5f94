"""KeyValueStore contract, run against every available backend.

The redis backend runs when BAOXIU_TEST_REDIS_URL is set (e.g.
redis://127.0.0.1:6379/15). If it is set but Redis does not answer, the tests
fail rather than skip, so a broken CI service cannot pass silently.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar
from urllib.parse import urlsplit

import pytest
import redis

from storage.kv import KeyValueStore, Keys, StoreUnavailable
from storage.kv_memory import MemoryStore
from storage.kv_open import open_store
from storage.kv_redis import RedisStore

REDIS_URL_ENV = "BAOXIU_TEST_REDIS_URL"
UNREACHABLE_REDIS = "redis://127.0.0.1:1"
THREADS = 20

T = TypeVar("T")


class FakeClock:
    """Monotonic clock the test moves by hand, so TTLs are checked without sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta.total_seconds()


@dataclass
class Backend:
    name: str
    store: KeyValueStore
    clock: FakeClock | None = None  # memory only
    raw: redis.Redis | None = None  # redis only: PTTL checks and cleanup
    prefix: str = ""


def _redis_param() -> object:
    return pytest.param(
        "redis",
        marks=pytest.mark.skipif(not os.environ.get(REDIS_URL_ENV), reason=f"{REDIS_URL_ENV} not set"),
    )


@pytest.fixture(params=["memory", _redis_param()])
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    if request.param == "memory":
        clock = FakeClock()
        yield Backend("memory", MemoryStore(clock=clock), clock=clock)
        return
    yield from _redis_backend(os.environ[REDIS_URL_ENV])


def _redis_backend(url: str) -> Iterator[Backend]:
    prefix = f"baoxiu-test:{uuid.uuid4().hex}:"
    store = RedisStore(url, prefix=prefix)
    if not store.ping():
        store.close()
        # Host and port only: the url may carry a password.
        where = urlsplit(url)
        pytest.fail(f"{REDIS_URL_ENV} is set but Redis at {where.hostname}:{where.port} does not answer")
    raw = redis.Redis.from_url(url, decode_responses=True)
    try:
        yield Backend("redis", store, raw=raw, prefix=prefix)
    finally:
        for key in raw.scan_iter(match=f"{prefix}*"):
            raw.delete(key)
        raw.close()
        store.close()


def run_concurrently(task: Callable[[], T], threads: int = THREADS) -> list[T]:
    """Run `task` in `threads` threads released together by a barrier, to provoke races."""
    barrier = threading.Barrier(threads)

    def synchronized() -> T:
        barrier.wait(timeout=10)
        return task()

    with ThreadPoolExecutor(max_workers=threads) as pool:
        futures = [pool.submit(synchronized) for _ in range(threads)]
        return [future.result() for future in futures]


def assert_expires_after(backend: Backend, key: str, ttl: timedelta) -> None:
    if backend.clock is not None:
        backend.clock.advance(ttl - timedelta(milliseconds=1))
        assert backend.store.get(key) is not None
        backend.clock.advance(timedelta(milliseconds=1))
        assert backend.store.get(key) is None
        return
    assert backend.raw is not None
    pttl = backend.raw.pttl(backend.prefix + key)
    assert 0 < pttl <= ttl / timedelta(milliseconds=1)


def assert_never_expires(backend: Backend, key: str) -> None:
    if backend.clock is not None:
        backend.clock.advance(timedelta(days=365))
        assert backend.store.get(key) is not None
        return
    assert backend.raw is not None
    assert backend.raw.pttl(backend.prefix + key) == -1  # -1: exists, no expiry


# --- basic operations -------------------------------------------------------


def test_get_set_delete(backend: Backend) -> None:
    store = backend.store
    key = Keys.dialog("wecom", "wangjianguo")
    assert store.get(key) is None
    store.set(key, '{"step": "ask_product", "text": "马桶漏水"}')
    assert store.get(key) == '{"step": "ask_product", "text": "马桶漏水"}'
    store.set(key, "overwritten")
    assert store.get(key) == "overwritten"
    store.delete(key)
    assert store.get(key) is None
    store.delete(key)  # deleting a missing key is not an error


def test_set_if_absent_only_first_wins(backend: Backend) -> None:
    key = Keys.inbound("dingtalk", "msg-1")
    assert backend.store.set_if_absent(key, "first") is True
    assert backend.store.set_if_absent(key, "second") is False
    assert backend.store.get(key) == "first"


def test_delete_if_removes_only_the_value_it_names(backend: Backend) -> None:
    key = Keys.lock("sender-wecom-wangjianguo")
    backend.store.set(key, "mine")
    assert backend.store.delete_if(key, "theirs") is False
    assert backend.store.get(key) == "mine"
    assert backend.store.delete_if(key, "mine") is True
    assert backend.store.get(key) is None
    assert backend.store.delete_if(key, "mine") is False


def test_get_many_answers_in_order_with_none_for_missing(backend: Backend) -> None:
    draft, bind = Keys.dialog("wecom", "wangjianguo"), Keys.binding("wecom", "wangjianguo")
    backend.store.set(bind, "verifying")
    assert backend.store.get_many([draft, bind]) == [None, "verifying"]
    assert backend.store.get_many([]) == []


def test_write_many_sets_and_deletes_in_order(backend: Backend) -> None:
    draft, focus = Keys.dialog("wecom", "wangjianguo"), Keys.focus("owner", "7")
    backend.store.set(focus, "old")
    backend.store.write_many([(draft, "first", None), (focus, None, None), (draft, "second", timedelta(hours=1))])
    assert backend.store.get(draft) == "second"
    assert backend.store.get(focus) is None
    backend.store.write_many([])


def test_incr_counts_from_one(backend: Backend) -> None:
    key = Keys.cursor("ticket-seq")
    assert [backend.store.incr(key) for _ in range(3)] == [1, 2, 3]
    assert backend.store.get(key) == "3"


def test_incr_on_non_integer_raises_value_error(backend: Backend) -> None:
    backend.store.set("not-a-number", "八")
    with pytest.raises(ValueError):
        backend.store.incr("not-a-number")


def test_ping_true_when_reachable(backend: Backend) -> None:
    assert backend.store.ping() is True


# --- TTLs -------------------------------------------------------------------


def test_set_with_ttl_expires(backend: Backend) -> None:
    key = Keys.dialog("wecom", "lihua")
    backend.store.set(key, "state", ttl=timedelta(minutes=30))
    assert_expires_after(backend, key, timedelta(minutes=30))


def test_set_without_ttl_clears_previous_ttl(backend: Backend) -> None:
    backend.store.set("k", "v1", ttl=timedelta(seconds=30))
    backend.store.set("k", "v2")
    assert_never_expires(backend, "k")


def test_set_if_absent_with_ttl_expires(backend: Backend) -> None:
    key = Keys.lock("dispatch")
    assert backend.store.set_if_absent(key, "worker-1", ttl=timedelta(seconds=15))
    assert_expires_after(backend, key, timedelta(seconds=15))


def test_incr_ttl_applies_only_on_creation(backend: Backend) -> None:
    key = "rate:wecom:wangjianguo"
    backend.store.incr(key, ttl=timedelta(seconds=60))
    backend.store.incr(key, ttl=timedelta(hours=5))  # must not extend the window
    assert_expires_after(backend, key, timedelta(seconds=60))


def test_incr_keeps_no_expiry_of_existing_key(backend: Backend) -> None:
    backend.store.set("counter", "0")
    assert backend.store.incr("counter", ttl=timedelta(seconds=5)) == 1
    assert_never_expires(backend, "counter")


def test_non_positive_ttl_rejected(backend: Backend) -> None:
    with pytest.raises(ValueError):
        backend.store.set("k", "v", ttl=timedelta(0))
    with pytest.raises(ValueError):
        backend.store.set_if_absent("k", "v", ttl=timedelta(seconds=-1))


def test_memory_expired_key_is_absent_and_reusable() -> None:
    clock = FakeClock()
    store = MemoryStore(clock=clock)
    store.set_if_absent(Keys.lock("x"), "a", ttl=timedelta(seconds=10))
    clock.advance(timedelta(seconds=10))
    assert store.set_if_absent(Keys.lock("x"), "b") is True
    store.incr("n", ttl=timedelta(seconds=1))
    clock.advance(timedelta(seconds=1))
    assert store.incr("n") == 1  # an expired counter starts over


def test_memory_purges_expired_entries_without_reads() -> None:
    clock = FakeClock()
    store = MemoryStore(clock=clock)
    for i in range(1000):
        store.set(f"old:{i}", "v", ttl=timedelta(seconds=1))
    clock.advance(timedelta(seconds=2))
    for i in range(2000):
        store.set(f"new:{i}", "v")
    assert not any(key.startswith("old:") for key in store._data)


# --- concurrency ------------------------------------------------------------


def test_set_if_absent_is_atomic_under_threads(backend: Backend) -> None:
    key = Keys.inbound("wecom", "retry-storm")
    results = run_concurrently(lambda: backend.store.set_if_absent(key, "x", ttl=timedelta(minutes=5)))
    assert results.count(True) == 1
    assert results.count(False) == THREADS - 1


def test_incr_under_threads_gives_distinct_values(backend: Backend) -> None:
    key = Keys.cursor("ticket-no")
    per_thread = 25

    def bump() -> list[int]:
        return [backend.store.incr(key) for _ in range(per_thread)]

    values = [v for batch in run_concurrently(bump) for v in batch]
    assert sorted(values) == list(range(1, THREADS * per_thread + 1))


def test_admit_is_an_exact_sliding_window(backend: Backend) -> None:
    key, start = "rate:u1", 1_795_399_259.0   # second 59 of a minute
    assert all(backend.store.admit(key, start, 60, 30) for _ in range(30))
    assert not backend.store.admit(key, start + 2, 60, 30), "a fixed-minute count would let this through"
    assert not backend.store.admit(key, start + 59.9, 60, 30)
    assert sum(backend.store.admit(key, start + 60, 60, 30) for _ in range(31)) == 30  # the 30 at :59 left
    assert backend.store.admit("rate:u2", start + 2, 60, 30), "members are counted apart"


def test_admit_under_threads_never_overshoots(backend: Backend) -> None:
    results = run_concurrently(lambda: [backend.store.admit("rate:storm", 1000.0, 60, 7) for _ in range(5)])
    assert sum(sum(batch) for batch in results) == 7


# --- keys -------------------------------------------------------------------


def test_key_formats() -> None:
    assert Keys.dialog("wecom", "wangjianguo") == "dialog:wecom:wangjianguo"
    assert Keys.inbound("dingtalk", "m-1") == "inbound:dingtalk:m-1"
    assert Keys.token("wecom", "corp1-agent2") == "token:wecom:corp1-agent2"
    assert Keys.lock("dispatch") == "lock:dispatch"
    assert Keys.cursor("sla-scan") == "cursor:sla-scan"


@pytest.mark.parametrize(
    "make_key",
    [lambda: Keys.dialog("", "u1"), lambda: Keys.dialog("wecom", ""), lambda: Keys.token("we:com", "app")],
)
def test_ambiguous_key_components_rejected(make_key: Callable[[], str]) -> None:
    with pytest.raises(ValueError):
        make_key()


# --- open_store and unreachable Redis -----------------------------------------


@pytest.mark.parametrize("url", [None, "", "   "])
def test_open_store_empty_gives_memory(url: str | None) -> None:
    assert isinstance(open_store(url), MemoryStore)


@pytest.mark.parametrize("url", ["redis://127.0.0.1:6379/15", "rediss://:pw@cache.example.com:6380/0"])
def test_open_store_redis_url_gives_redis(url: str) -> None:
    store = open_store(url)  # redis-py connects lazily, so no server is needed here
    try:
        assert isinstance(store, RedisStore)
        assert isinstance(store, KeyValueStore)
    finally:
        store.close()


@pytest.mark.parametrize(
    ("url", "named"),
    [("memcached://admin:s3cret-pw@cache:11211", "'memcached'"), ("127.0.0.1:6379", "no scheme")],
)
def test_open_store_bad_scheme(url: str, named: str) -> None:
    with pytest.raises(ValueError) as excinfo:
        open_store(url)
    message = str(excinfo.value)
    assert named in message
    assert "s3cret-pw" not in message


def test_ping_false_on_unreachable_redis() -> None:
    store = RedisStore(UNREACHABLE_REDIS)
    try:
        assert store.ping() is False
    finally:
        store.close()


@pytest.mark.parametrize(
    "operation",
    [
        lambda s: s.get("k"),
        lambda s: s.set("k", "v"),
        lambda s: s.set_if_absent("k", "v"),
        lambda s: s.delete("k"),
        lambda s: s.delete_if("k", "v"),
        lambda s: s.get_many(["k", "j"]),
        lambda s: s.write_many([("k", "v", None)]),
        lambda s: s.incr("k", ttl=timedelta(seconds=1)),
    ],
)
def test_unreachable_redis_raises_store_unavailable(operation: Callable[[RedisStore], object]) -> None:
    store = RedisStore(UNREACHABLE_REDIS)
    try:
        with pytest.raises(StoreUnavailable):
            operation(store)
    finally:
        store.close()
