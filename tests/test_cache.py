"""The Redis cache backend (hatecrime.cache): Django's, minus a client per call."""

from __future__ import annotations

from django.core.cache import cache


def test_every_operation_shares_one_redis_client() -> None:
    backend = cache._cache  # type: ignore[attr-defined]
    client = backend.get_client()
    assert backend.get_client(write=True) is client
    assert backend.get_client("another-key") is client


def test_the_shared_client_reads_and_writes_as_before() -> None:
    cache.delete_many(["cache-test:key", "cache-test:counter"])
    cache.set("cache-test:key", {"a": [1, 2]}, timeout=30)
    assert cache.get("cache-test:key") == {"a": [1, 2]}
    assert cache.add("cache-test:key", "other", timeout=30) is False
    assert cache.add("cache-test:counter", 0, timeout=30) is True
    assert cache.incr("cache-test:counter") == 1
    assert cache.get_many(["cache-test:key", "cache-test:missing"]) == {
        "cache-test:key": {"a": [1, 2]}
    }
    cache.delete_many(["cache-test:key", "cache-test:counter"])
    assert cache.get("cache-test:key") is None
