from typing import Any

from django.core.management.base import BaseCommand

from grants.demo import demo_grants_load
from referrals.demo import demo_providers_load
from reports.reference_data import reference_data_load


class Command(BaseCommand):
    """Lives in grants, the highest app it needs, so imports still point one way."""

    help = "Load reference data, demo providers and the seed grants (safe to run again)."

    def handle(self, *args: Any, **options: Any) -> None:
        reference_data_load()
        demo_providers_load()
        demo_grants_load()
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
