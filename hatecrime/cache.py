"""Django's Redis cache backend, with one Redis client per connection pool.

Django's RedisCacheClient builds a new ``redis.Redis`` for every cache
operation (``get_client``), and building one fills its table of response
callbacks: about 40 microseconds of CPU, twice what the GET itself costs.
A report submission makes three cache operations (the rate limit's read and
write, the reference-data version). A ``redis.Redis`` is safe to share: it
takes a connection from its pool for each command. Django keeps one cache
backend per thread, so this keeps one client per thread and pool.
"""

from __future__ import annotations

from typing import Any

from django.core.cache.backends import redis as django_redis


class RedisCacheClient(django_redis.RedisCacheClient):
    # Set by Django's __init__ (not in its type stubs).
    _servers: list[str]
    _pools: dict[int, Any]
    _pool_class: Any
    _pool_options: dict[str, Any]
    _client: Any
    _get_connection_pool_index: Any

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            if index not in self._pools:
                self._pools[index] = self._pool_class.from_url(
                    self._servers[index], **self._pool_options
                )
            client = self._clients[index] = self._client(connection_pool=self._pools[index])
        return client


class RedisCache(django_redis.RedisCache):
    _class: type[django_redis.RedisCacheClient]

    def __init__(self, server: Any, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = RedisCacheClient
