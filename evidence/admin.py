"""Staff see evidence read-only: hash, checks, why a file was quarantined,
and its chain of custody. Files open only through the authorised view, and
only the versions the viewer's role allows (evidence.selectors)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.admin_utils import ScopedAuditedAdmin
from audit.roles import Role, has_role
from evidence.models import CustodyEvent, EvidenceItem, Kind
from evidence.selectors import evidence_for_report, evidence_versions, evidence_visible_to

# Roles that may see some evidence (which items: evidence_visible_to).
EVIDENCE_READERS = (
    Role.TRIAGE_OFFICER,
    Role.SYSTEM_ADMINISTRATOR,
    Role.POLICE_LIAISON,
    Role.PROVIDER_MANAGER,
    Role.ADVOCATE,
    Role.REPORTING_CENTRE_WORKER,
)

_LINK_LABELS = {
    "original": gettext_lazy("Download the original"),
    "shareable": gettext_lazy("Download the shareable copy (location and EXIF removed)"),
    "poster": gettext_lazy("Download the poster frame"),
}


def _file_url(item: EvidenceItem, version: str, *, download: bool = False) -> str:
    url = reverse("evidence:staff_file", args=[item.pk, version])
    return f"{url}?download=1" if download and version != "original" else url


def evidence_entries(items: list[EvidenceItem]) -> list[dict[str, Any]]:
    """What the staff panel shows of each item: a preview (a thumbnail or a
    poster frame, served through the authorised view) and the downloads
    the viewer may have, with their hashes."""
    entries = []
    for item in items:
        allowed = evidence_versions(item)
        derivatives = {d.version: d for d in item.derivatives.all()}
        preview = None
        links: list[dict[str, str]] = []
        if item.status == EvidenceItem.Status.CLEAN:
            for version in ("thumbnail", "poster"):
                if version in derivatives and version in allowed:
                    what = _("photo") if item.kind == Kind.IMAGE else _("video")
                    preview = {
                        "url": _file_url(item, version),
                        "alt": _("Preview of the %(what)s (%(version)s)")
                        % {"what": what, "version": version},
                    }
                    break
            if "original" in allowed:
                links.append(
                    {
                        "url": _file_url(item, "original"),
                        "label": str(_LINK_LABELS["original"]),
                        "sha256": item.sha256,
                    }
                )
            for version in ("shareable", "poster"):
                if version in derivatives and version in allowed:
                    links.append(
                        {
                            "url": _file_url(item, version, download=True),
                            "label": str(_LINK_LABELS[version]),
                            "sha256": derivatives[version].sha256,
                        }
                    )
        entries.append({"item": item, "preview": preview, "links": links})
    return entries


def evidence_panel(*, report_id: int, viewer: Any) -> SafeString:
    """A report's evidence for a staff page (the report's triage page, the
    case page, a recipient's referral page): statement first, kind, size,
    SHA-256, checks (and why a file was quarantined), previews, downloads
    and the chain of custody. For the higher apps' admins to include."""
    if viewer is None:
        return mark_safe("")
    items = evidence_for_report(user=viewer, report_id=report_id)
    return mark_safe(  # noqa: S308 (an autoescaped template's output)
        render_to_string("evidence/staff/panel.html", {"items": evidence_entries(items)})
    )


class CustodyInline(admin.TabularInline):
    model = CustodyEvent
    fields = readonly_fields = ("at", "action", "version", "sha256", "acting_user", "detail")
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Whoever may open an item (its queryset decides) sees its custody.
        return has_role(request.user, *EVIDENCE_READERS)


@admin.register(EvidenceItem)
class EvidenceItemAdmin(ScopedAuditedAdmin):
    list_display = ["id", "report", "is_statement", "kind", "status", "size", "created_at"]
    list_filter = ["status", "kind", "is_statement"]
    list_select_related = ["report"]
    search_fields = ["=report__reference", "=sha256"]
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

    def visible_queryset(self, request: HttpRequest) -> QuerySet[EvidenceItem]:
        return evidence_visible_to(request.user).select_related("report")

    def audit_reference(self, obj: Any) -> str:
        return str(obj.report.reference) if obj.report_id else ""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return has_role(request.user, *EVIDENCE_READERS)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return has_role(request.user, *EVIDENCE_READERS)

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
        allowed = evidence_versions(obj)
        versions = [
            version
            for version in ["original", *obj.derivatives.values_list("version", flat=True)]
            if version in allowed
        ]
        return format_html_join(
            " | ",
            '<a href="{}">{}</a>',
            ((_file_url(obj, version), version) for version in versions),
        )
