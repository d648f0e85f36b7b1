"""Fixtures for every app's tests."""

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    # Rate limits, lockouts and alert de-duplication live in the cache
    # (Redis in the suite): each test starts with none.
    cache.clear()
