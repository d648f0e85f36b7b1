from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from grants.demo import demo_grants_load
from referrals.demo import demo_providers_load
from referrals.demo_users import DEMO_PASSWORD, demo_users_load
from reports.reference_data import reference_data_load


class Command(BaseCommand):
    """Lives in grants, the highest app it needs, so imports still point one way."""

    help = (
        "Load reference data, demo providers and the seed grants (safe to run again); "
        "with DEBUG on, demo staff."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        reference_data_load()
        demo_providers_load()
        demo_grants_load()
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        if not settings.DEBUG:
            self.stdout.write("Demo staff not created: DEBUG is off (their passwords are public).")
            return
        self.stdout.write(f"Demo staff (password {DEMO_PASSWORD!r}; see docs/demo-users.md):")
        for demo in demo_users_load():
            where = demo.provider or demo.police_force or "-"
            self.stdout.write(
                f"  {demo.username:<22} {demo.role.value:<24} {where:<14} TOTP {demo.totp_secret}"
            )
