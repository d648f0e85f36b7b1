"""Fixtures for every app's tests."""

from typing import Any

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    # Rate limits, lockouts and alert de-duplication live in the cache
    # (Redis in the suite): each test starts with none.
    cache.clear()


@pytest.fixture
def admin_client(admin_user: Any) -> Any:
    """pytest-django's admin client, with the second factor the staff site requires."""
    from tests.staff import verified_client

    return verified_client(admin_user)
