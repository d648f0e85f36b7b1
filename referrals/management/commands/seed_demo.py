from typing import Any

from django.core.management.base import BaseCommand

from referrals.demo import demo_providers_load
from reports.reference_data import reference_data_load


class Command(BaseCommand):
    help = "Load reference data and demo providers (safe to run again)."

    def handle(self, *args: Any, **options: Any) -> None:
        reference_data_load()
        demo_providers_load()
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
