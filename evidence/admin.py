"""Staff see evidence read-only: hash, checks, why a file was quarantined,
and its chain of custody. Files open only through the authorised view."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from evidence.models import CustodyEvent, EvidenceItem
from evidence.selectors import evidence_visible_to


class CustodyInline(admin.TabularInline):
    model = CustodyEvent
    fields = readonly_fields = ("at", "action", "version", "sha256", "acting_user", "detail")
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Whoever may see an item sees its chain of custody.
        return request.user.has_perm("evidence.view_evidenceitem")


@admin.register(EvidenceItem)
class EvidenceItemAdmin(admin.ModelAdmin):
    list_display = ["id", "report", "is_statement", "kind", "status", "size", "created_at"]
    list_filter = ["status", "kind", "is_statement"]
    list_select_related = ["report"]
    search_fields = ["report__reference", "sha256"]
    inlines = [CustodyInline]
    fields = readonly_fields = (
        "report",
        "is_statement",
        "filename",
        "kind",
        "content_type",
        "size",
        "sha256",
        "status",
        "status_reason",
        "metadata",
        "created_at",
        "claimed_at",
        "processed_at",
        "files",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[EvidenceItem]:
        return evidence_visible_to(request.user).select_related("report")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="Files")
    def files(self, obj: EvidenceItem) -> SafeString:
        if obj.status != EvidenceItem.Status.CLEAN:
            return format_html("{}", "Not available: " + (obj.status_reason or obj.status))
        versions = ["original", *obj.derivatives.values_list("version", flat=True)]
        return format_html_join(
            " | ",
            '<a href="{}">{}</a>',
            (
                (reverse("evidence:staff_file", args=[obj.pk, version]), version)
                for version in versions
            ),
        )


class EvidenceInline(admin.TabularInline):
    """Evidence on a report's admin page, the video or audio statement first
    (EvidenceItem's ordering). For the report admin to include: this app
    does not import reports."""

    model = EvidenceItem
    fk_name = "report"
    fields = readonly_fields = ("is_statement", "kind", "status", "status_reason", "size", "sha256")
    extra = 0
    can_delete = False
    show_change_link = True

    def get_queryset(self, request: HttpRequest) -> QuerySet[EvidenceItem]:
        return evidence_visible_to(request.user)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
