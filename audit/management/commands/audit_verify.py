from typing import Any

from django.core.management.base import BaseCommand, CommandError

from audit.models import AccessLogEntry
from audit.services import audit_verify


class Command(BaseCommand):
    help = "Check the access log's hash chain: every entry intact and none removed."

    def handle(self, *args: Any, **options: Any) -> None:
        broken = audit_verify()
        if broken:
            raise CommandError(
                f"The access log has been tampered with: {len(broken)} entries fail "
                f"(first id {broken[0]})."
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Access log intact: {AccessLogEntry.objects.count()} entries verified."
            )
        )
