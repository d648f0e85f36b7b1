"""Signing staff in for tests: a real password and a real TOTP code."""

from __future__ import annotations

from django.contrib.auth.models import Group, User
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.roles import Role

PASSWORD = "correct horse battery staple 42"


def make_staff(username: str, *roles: Role) -> User:
    user = User.objects.create_user(username, f"{username}@example.org", PASSWORD, is_staff=True)
    for role in roles:
        user.groups.add(Group.objects.get_or_create(name=role.value)[0])
    return user


def totp_token(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def signed_in(user: User, password: str = PASSWORD) -> Client:
    """A client signed in to the staff site the real way: password and TOTP."""
    device, _ = TOTPDevice.objects.get_or_create(user=user, name="phone")
    client = Client()
    response = client.post(
        "/staff/login/",
        {
            "username": user.username,
            "password": password,
            "otp_token": totp_token(device),
            "next": "/staff/",
        },
    )
    assert response.status_code == 302, response.content[:500]
    return client


def verified_client(user: User) -> Client:
    """A client signed in as ``user`` with a verified second factor, without
    going through the sign-in form (for tests whose subject is not sign-in)."""
    device, _ = TOTPDevice.objects.get_or_create(user=user, name="phone")
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client
