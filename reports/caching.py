"""In-process caches of small, rarely changed tables, kept honest across processes.

Reference data (areas, strands, incident types, police forces) and the
referral directory change only through the staff site or the seed commands,
yet every submission reads them. A ``VersionedCache`` keeps one loaded copy
per process and checks, on every use, a version token in the shared cache
(Redis; one token for all of them, read at most once per request): a save
or delete of a watched model (``watch``) drops this process's copies at once
and replaces the token when its transaction commits, so every other process
reloads before it next uses the data. The copy also expires after ``ttl`` seconds,
which bounds how long a write that sends no signals (``QuerySet.update``,
raw SQL) can go unseen. If the shared cache cannot be reached, the data is
loaded from the database for that use, as it was before caching.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import models, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

logger = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class _Entry(Generic[T]):
    version: str
    value: T
    expires: float


# One version token for every VersionedCache (they hold small, rarely changed
# tables: any change reloads them all), read at most once per request.
VERSION_KEY = "versioned-cache:version"
_request = threading.local()
_CACHES: list[VersionedCache[Any]] = []


def _request_started(**kwargs: Any) -> None:
    _request.active = True
    _request.version = None


def _request_finished(**kwargs: Any) -> None:
    _request.active = False
    _request.version = None


request_started.connect(_request_started, dispatch_uid="versioned-cache-request-started")
request_finished.connect(_request_finished, dispatch_uid="versioned-cache-request-finished")


def _version() -> str | None:
    """The current token (created if missing), or None if the shared cache
    is unreachable. Within a request it is read once."""
    if getattr(_request, "active", False) and _request.version is not None:
        return str(_request.version)
    try:
        version = cache.get(VERSION_KEY)
        if version is None:
            cache.add(VERSION_KEY, uuid.uuid4().hex, timeout=None)
            version = cache.get(VERSION_KEY)
    except Exception:
        logger.warning("shared cache unavailable; cached tables read from the database")
        return None
    if version is not None and getattr(_request, "active", False):
        _request.version = version
    return None if version is None else str(version)


def _bump() -> None:
    _request.version = None
    try:
        cache.set(VERSION_KEY, uuid.uuid4().hex, timeout=None)
    except Exception:
        logger.warning("shared cache unavailable; cached tables not invalidated")


def invalidate() -> None:
    """Drop every cached copy: this process's at once; every other process's
    when the transaction commits (before that they cannot see the change)."""
    _request.version = None
    for versioned in _CACHES:
        versioned._entry = None
    transaction.on_commit(_bump, robust=True)


class VersionedCache(Generic[T]):
    def __init__(self, name: str, load: Callable[[], T], *, ttl: float = 60.0) -> None:
        self.name = name
        self.load = load
        self.ttl = ttl
        self._entry: _Entry[T] | None = None
        self._lock = threading.Lock()
        _CACHES.append(self)

    def get(self) -> T:
        version = _version()
        if version is None:
            return self.load()
        entry = self._entry
        if entry is not None and entry.version == version and time.monotonic() < entry.expires:
            return entry.value
        with self._lock:
            entry = self._entry
            if entry is not None and entry.version == version and time.monotonic() < entry.expires:
                return entry.value
            # The token is read before the data: a change committed while
            # loading replaces the token, so this copy is used at most once.
            value = self.load()
            self._entry = _Entry(version, value, time.monotonic() + self.ttl)
            return value

    def invalidate(self) -> None:
        invalidate()

    def watch(self, *senders: type[models.Model] | Any) -> None:
        """Invalidate on save or delete of these models, or a change to these
        many-to-many ``through`` models."""

        def changed(sender: Any, **kwargs: Any) -> None:
            self.invalidate()

        # Kept by the cache: signals hold receivers weakly.
        self._receiver = changed
        uid = f"versioned-cache-{self.name}"
        for sender in senders:
            post_save.connect(changed, sender=sender, dispatch_uid=uid)
            post_delete.connect(changed, sender=sender, dispatch_uid=uid)
            m2m_changed.connect(changed, sender=sender, dispatch_uid=uid)
