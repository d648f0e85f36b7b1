import csv
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from grants.open_data import package_360giving, package_csv_rows, package_json
from privacy.csv_export import csv_safe


class Command(BaseCommand):
    help = (
        "Write published grants in the 360Giving Data Standard to PATH "
        "(JSON, or CSV when PATH ends in .csv)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        package, skipped = package_360giving(today=timezone.localdate(), now=timezone.now())
        if path.suffix.lower() == ".csv":
            columns, rows = package_csv_rows(package)
            with path.open("w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle)
                writer.writerow(columns)
                writer.writerows([csv_safe(c) for c in row] for row in rows)
        else:
            path.write_text(package_json(package) + "\n", encoding="utf-8")
        for item in skipped:
            self.stdout.write(f"Left out {item.grant.reference}: {item.reason}")
        self.stdout.write(self.style.SUCCESS(f"Wrote {len(package['grants'])} grants to {path}."))
