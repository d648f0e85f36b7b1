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
def admin_client(db: None, admin_user: Any) -> Any:
    """pytest-django's admin_client, signed in with the second factor the
    staff site requires (a forced login alone is not enough)."""
    from tests.staff import signed_in

    return signed_in(admin_user, password="password")
