from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from privacy.rotation import encrypted_columns, rotate_table


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted field with the first key in FIELD_ENCRYPTION_KEYS, "
        "in batches, while the service keeps running. Afterwards the other keys can be removed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=1000)

    def handle(self, *args: Any, **options: Any) -> None:
        for model, columns in encrypted_columns():
            result = rotate_table(model, columns, batch_size=options["batch_size"])
            self.stdout.write(
                f"{result.table}: {result.rows} rows, {result.values} values re-encrypted"
            )
        self.stdout.write(self.style.SUCCESS("All encrypted fields now use the newest key."))
