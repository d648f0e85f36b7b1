"""Fixtures for every app's tests."""

import importlib
from collections.abc import Iterator
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


@pytest.fixture(autouse=True)
def _force_login_includes_the_second_factor(monkeypatch: pytest.MonkeyPatch) -> None:
    """``Client.force_login`` in tests signs a staff member in as the staff
    site requires: with a verified second factor. Tests of the sign-in
    itself post the real login form (audit/tests, tests/staff.py)."""
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    original = Client.force_login

    def force_login(self: Client, user: Any, backend: str | None = None) -> None:
        original(self, user, backend)
        device, _ = TOTPDevice.objects.get_or_create(user=user, name="test device")
        session = self.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()

    monkeypatch.setattr(Client, "force_login", force_login)


@pytest.fixture(autouse=True)
def _role_groups_survive_a_flush(request: pytest.FixtureRequest) -> Iterator[None]:
    """A transactional test ends by emptying every table, data migrations'
    rows included: put back the role groups and the permissions granted to
    them (audit 0003, referrals 0005) so later tests see the database as
    migrated."""
    yield
    if not ({"transactional_db", "live_server"} & set(request.fixturenames)):
        return
    from django.contrib.auth.models import Group, Permission

    from audit.roles import Role

    grants = importlib.import_module("referrals.migrations.0005_sysadmin_configuration").GRANTS
    for role in Role:
        group, _ = Group.objects.get_or_create(name=role.value)
        group.permissions.add(
            *Permission.objects.filter(
                content_type__app_label="referrals", codename__in=grants.get(role.value, [])
            )
        )
