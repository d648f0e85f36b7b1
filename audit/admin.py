from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest

from audit.admin_utils import EstimatedCountPaginator
from audit.models import AccessLogEntry


def is_system_administrator(user: Any) -> bool:
    return bool(
        user.is_active
        and (
            user.is_superuser
            or user.groups.filter(name=settings.SYSTEM_ADMINISTRATOR_GROUP).exists()
        )
    )


@admin.register(AccessLogEntry)
class AccessLogEntryAdmin(admin.ModelAdmin):
    """Read-only for system administrators; nobody can add, change or delete."""

    list_display = [
        "at",
        "actor_username",
        "action",
        "outcome",
        "object_type",
        "object_id",
        "report_reference",
        "source",
    ]
    list_filter = ["action", "outcome", "object_type"]
    search_fields = ["=actor_username", "=report_reference", "=object_id"]
    date_hierarchy = "at"
    # The log grows with every page a member of staff opens: estimate the
    # unfiltered count rather than counting every entry on each visit.
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    readonly_fields = [field.name for field in AccessLogEntry._meta.fields]

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest) -> bool:
        # Filter by user and by report from links (?actor_id=..&report_reference=..).
        return lookup in {"actor_id", "report_reference"} or super().lookup_allowed(
            lookup, value, request
        )

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_system_administrator(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_system_administrator(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
