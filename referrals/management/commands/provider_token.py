from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from referrals.models import Provider
from referrals.services import provider_token_issue


class Command(BaseCommand):
    help = "Issue a provider API key (shown once; only its hash is kept)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("provider", help="The provider's slug")
        parser.add_argument("--name", default="case system", help="What the key is for")

    def handle(self, *args: Any, **options: Any) -> None:
        provider = Provider.objects.filter(slug=options["provider"]).first()
        if provider is None:
            raise CommandError(f"No provider with slug {options['provider']!r}")
        _token, key = provider_token_issue(provider=provider, name=options["name"])
        self.stdout.write(key)
