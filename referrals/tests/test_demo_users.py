"""Demo staff: one per role, documented, and never made with DEBUG off."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command
from django_otp.plugins.otp_totp.models import TOTPDevice
from pytest_django.fixtures import Settings

from audit.roles import Role, roles_of
from referrals.case_models import Case
from referrals.demo_users import DEMO_PASSWORD, DEMO_USERS, DemoRefused, demo_users_load
from referrals.models import Referral
from tests.staff import totp_token

pytestmark = pytest.mark.usefixtures("reference_data")

DOC = Path(__file__).resolve().parents[2] / "docs" / "demo-users.md"


def test_demo_users_are_refused_when_debug_is_off(settings: Settings) -> None:
    settings.DEBUG = False
    with pytest.raises(DemoRefused):
        demo_users_load()
    call_command("seed_demo")
    from django.contrib.auth.models import User

    assert not User.objects.filter(username__startswith="demo-").exists()


def test_one_demo_user_per_role_with_documented_secrets(settings: Settings) -> None:
    settings.DEBUG = True
    call_command("seed_demo")
    from django.contrib.auth.models import User

    assert {demo.role for demo in DEMO_USERS} == set(Role)
    doc = DOC.read_text()
    assert DEMO_PASSWORD in doc
    for demo in DEMO_USERS:
        user = User.objects.get(username=demo.username)
        assert user.check_password(DEMO_PASSWORD) and user.is_staff
        assert roles_of(user) == {demo.role}
        assert f"`{demo.username}`" in doc and demo.totp_secret in doc
    # Two providers, and their people see nothing of each other's.
    assert {demo.provider for demo in DEMO_USERS if demo.provider} == {"galop", "cst"}
    assert not Case.objects.visible_to(User.objects.get(username="demo-commissioner")).exists()
    assert not Referral.objects.visible_to(User.objects.get(username="demo-centre")).exists()


def test_a_demo_user_signs_in_with_the_documented_password_and_a_code(
    settings: Settings,
) -> None:
    settings.DEBUG = True
    demo_users_load()
    from django.contrib.auth.models import User
    from django.test import Client

    user = User.objects.get(username="demo-advocate-cst")
    device = TOTPDevice.objects.get(user=user)
    response = Client().post(
        "/staff/login/",
        {
            "username": user.username,
            "password": DEMO_PASSWORD,
            "otp_token": totp_token(device),
            "next": "/staff/",
        },
    )
    assert response.status_code == 302
