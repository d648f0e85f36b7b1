from __future__ import annotations

from functools import partial
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.html import format_html

from audit.roles import Role, has_role
from audit.views import require_recent_second_factor
from privacy.models import LegalHold, RetentionPolicy, RetentionRun, SubjectRequest
from privacy.services import (
    ExportUnavailable,
    legal_hold_lift,
    legal_hold_set,
    retention_policy_save,
    subject_export_read,
    subject_request_confirm_identity,
    subject_request_create,
    subject_request_export_sent,
)
from privacy.tasks import subject_request_export_task


class SystemAdministratorOnly(admin.ModelAdmin):
    def has_module_permission(self, request: HttpRequest) -> bool:
        return has_role(request.user, Role.SYSTEM_ADMINISTRATOR)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self.has_module_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(RetentionPolicy)
class RetentionPolicyAdmin(SystemAdministratorOnly):
    """How long each kind of record is kept, and why (the daily job reads these)."""

    list_display = ["record_kind", "keep_for_days", "action", "legal_basis", "updated_at"]
    fields = ["record_kind", "keep_for_days", "action", "legal_basis"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["record_kind"] if obj is not None else []

    def save_model(
        self, request: HttpRequest, obj: RetentionPolicy, form: Any, change: bool
    ) -> None:
        retention_policy_save(policy=obj, acting_user=request.user)  # type: ignore[arg-type]


@admin.register(LegalHold)
class LegalHoldAdmin(SystemAdministratorOnly):
    """Records kept past their date: set by a named person with a reason,
    lifted (never edited or deleted) when no longer needed."""

    list_display = ["record_kind", "object_id", "set_by", "set_at", "lifted_at", "reason"]
    list_filter = ["record_kind", ("lifted_at", admin.EmptyFieldListFilter)]
    fields = ["record_kind", "object_id", "reason"]
    actions = ["lift"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is None:
            return []
        return ["record_kind", "object_id", "reason", "set_by", "set_at", "lifted_by", "lifted_at"]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.fields if obj is None else self.get_readonly_fields(request, obj)

    @admin.action(description="Lift the selected holds")
    def lift(self, request: HttpRequest, queryset: Any) -> None:
        for hold in queryset.filter(lifted_at__isnull=True):
            legal_hold_lift(hold=hold, acting_user=request.user)  # type: ignore[arg-type]
        messages.info(request, "The holds were lifted.")

    def save_model(self, request: HttpRequest, obj: LegalHold, form: Any, change: bool) -> None:
        if change:
            return  # a hold is never edited: lift it and set a new one
        created = legal_hold_set(
            record_kind=obj.record_kind,
            object_id=obj.object_id,
            reason=obj.reason,
            acting_user=request.user,  # type: ignore[arg-type]
        )
        obj.pk = created.pk


@admin.register(RetentionRun)
class RetentionRunAdmin(SystemAdministratorOnly):
    list_display = ["ran_at", "results"]
    readonly_fields = ["ran_at", "results"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(SubjectRequest)
class SubjectRequestAdmin(SystemAdministratorOnly):
    list_display = ["__str__", "kind", "status", "received_at", "due_by", "identity_checked_by"]
    list_filter = ["kind", "status"]
    fields = [
        "kind",
        "requester_name",
        "email",
        "phone",
        "references",
        "identity_check",
        "exceptions",
    ]
    readonly_fields = [
        "status",
        "due_by",
        "identity_checked_by",
        "identity_checked_at",
        "export_sha256",
        "export",
    ]
    actions = ["prepare_export", "record_sent"]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # An existing request shows where it stands, and its export.
        return self.fields if obj is None else [*self.readonly_fields, *self.fields]

    def get_urls(self) -> list[Any]:
        download = self.admin_site.admin_view(require_recent_second_factor(self.export_download))
        return [
            path("<int:pk>/export/", download, name="privacy_subjectrequest_export"),
            *super().get_urls(),
        ]

    @admin.display(description="Export")
    def export(self, obj: SubjectRequest) -> str:
        if obj.status == SubjectRequest.Status.READY and obj.export_file:
            return format_html(
                '<a href="{}">Download the export (zip)</a>; once it is sent, use the '
                'action "Record the export as sent", which deletes our copy.',
                reverse("admin:privacy_subjectrequest_export", args=[obj.pk]),
            )
        return "None held."

    def export_download(self, request: HttpRequest, pk: int) -> HttpResponseBase:
        if not self.has_view_permission(request):
            raise PermissionDenied
        subject_request = get_object_or_404(SubjectRequest, pk=pk)
        try:
            content = subject_export_read(
                request=subject_request,
                acting_user=request.user,  # type: ignore[arg-type]
            )
        except ExportUnavailable as exc:
            messages.error(request, str(exc))
            return redirect("admin:privacy_subjectrequest_change", pk)
        response = HttpResponse(content, content_type="application/zip")
        response["Content-Disposition"] = (
            f'attachment; filename="subject-access-request-{subject_request.pk}.zip"'
        )
        response["X-Content-Type-Options"] = "nosniff"
        return response  # admin_view adds Cache-Control: no-store

    @admin.action(description="Record the export as sent (deletes our copy, closes the request)")
    def record_sent(self, request: HttpRequest, queryset: Any) -> None:
        sent = 0
        for subject_request in queryset.filter(status=SubjectRequest.Status.READY):
            subject_request_export_sent(
                request=subject_request,
                acting_user=request.user,  # type: ignore[arg-type]
            )
            sent += 1
        messages.info(request, f"{sent} export(s) recorded as sent and deleted.")

    @admin.action(description="Prepare the export (identity must be confirmed)")
    def prepare_export(self, request: HttpRequest, queryset: Any) -> None:
        ready = queryset.filter(
            status=SubjectRequest.Status.CONFIRMED, kind=SubjectRequest.Kind.ACCESS
        )
        for pk in ready.values_list("pk", flat=True):
            transaction.on_commit(partial(subject_request_export_task.delay, pk))
        messages.info(request, f"{ready.count()} export(s) are being prepared.")

    def save_model(
        self, request: HttpRequest, obj: SubjectRequest, form: Any, change: bool
    ) -> None:
        if change:
            super().save_model(request, obj, form, change)
        else:
            created = subject_request_create(
                kind=obj.kind,
                requester_name=obj.requester_name,
                email=obj.email,
                phone=obj.phone,
                references=obj.references,
            )
            obj.pk, obj.due_by = created.pk, created.due_by
        if obj.identity_check and obj.identity_checked_at is None:
            subject_request_confirm_identity(
                request=obj,
                how=obj.identity_check,
                acting_user=request.user,  # type: ignore[arg-type]
            )
