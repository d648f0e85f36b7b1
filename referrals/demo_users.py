"""Demo staff: one person per role, at two providers and one police force.

Their passwords and TOTP secrets are published (docs/demo-users.md), so they
exist only on a machine running with DEBUG on: ``demo_users_load`` refuses
otherwise, and nothing here runs in a deployment.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.roles import Role
from referrals.case_services import membership_add
from referrals.models import Provider
from reports.models import PoliceForce

# Published on purpose (docs/demo-users.md); refused with DEBUG off.
DEMO_PASSWORD = "demo-staff-password-2026"  # noqa: S105


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: Role
    provider: str = ""  # provider slug
    police_force: str = ""  # police force code
    # 20 bytes, hex (as django-otp stores it); shown to people in base32.
    totp_key: str = ""

    @property
    def totp_secret(self) -> str:
        return base64.b32encode(bytes.fromhex(self.totp_key)).decode()


def _key(n: int) -> str:
    # Fixed, published, and obviously not random: demo only.
    return bytes([n] * 20).hex()


DEMO_USERS = [
    DemoUser("demo-triage", Role.TRIAGE_OFFICER, totp_key=_key(1)),
    DemoUser("demo-manager-galop", Role.PROVIDER_MANAGER, provider="galop", totp_key=_key(2)),
    DemoUser("demo-advocate-galop", Role.ADVOCATE, provider="galop", totp_key=_key(3)),
    DemoUser("demo-manager-cst", Role.PROVIDER_MANAGER, provider="cst", totp_key=_key(4)),
    DemoUser("demo-advocate-cst", Role.ADVOCATE, provider="cst", totp_key=_key(5)),
    DemoUser("demo-police-met", Role.POLICE_LIAISON, police_force="metropolitan", totp_key=_key(6)),
    DemoUser("demo-centre", Role.REPORTING_CENTRE_WORKER, totp_key=_key(7)),
    DemoUser("demo-commissioner", Role.COMMISSIONING_OFFICER, totp_key=_key(8)),
    DemoUser("demo-sysadmin", Role.SYSTEM_ADMINISTRATOR, totp_key=_key(9)),
]


class DemoRefused(Exception):
    """Demo users (with published passwords) are never made with DEBUG off."""


@transaction.atomic
def demo_users_load() -> list[DemoUser]:
    """Create or reset the demo staff; idempotent. Needs the demo providers."""
    if not settings.DEBUG:
        raise DemoRefused("Refusing to create demo users with published passwords: DEBUG is off.")
    for demo in DEMO_USERS:
        user, _created = User.objects.get_or_create(
            username=demo.username, defaults={"email": f"{demo.username}@example.org"}
        )
        user.is_staff = True
        user.set_password(DEMO_PASSWORD)
        user.save()
        user.groups.set([Group.objects.get_or_create(name=demo.role.value)[0]])
        TOTPDevice.objects.update_or_create(
            user=user, name="demo authenticator", defaults={"key": demo.totp_key, "confirmed": True}
        )
        if demo.provider:
            membership_add(
                user=user, provider=Provider.objects.get(slug=demo.provider), acting_user=None
            )
        elif demo.police_force:
            membership_add(
                user=user,
                police_force=PoliceForce.objects.get(code=demo.police_force),
                acting_user=None,
            )
    return DEMO_USERS
