from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect

from audit.admin_utils import ScopedAuditedAdmin, keyset_iterate
from audit.models import AccessLogEntry
from audit.roles import Role, has_role
from audit.services import audit_record
from audit.views import second_factor_is_recent
from evidence.admin import evidence_panel
from privacy.csv_export import csv_streaming_response
from reports.models import (
    AdditionalInformation,
    Area,
    IncidentType,
    PoliceForce,
    Report,
    ReportEvent,
    Strand,
)
from reports.selectors import report_language_needs
from reports.services import report_triage


@admin.register(PoliceForce)
class PoliceForceAdmin(admin.ModelAdmin):
    list_display = ["name", "code"]
    search_fields = ["name", "code"]


@admin.register(Area)
class AreaAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "kind", "police_force"]
    list_filter = ["kind"]
    list_select_related = ["police_force"]
    search_fields = ["name", "code"]


@admin.register(Strand, IncidentType)
class ReferenceAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "order"]


class TriageForm(forms.ModelForm):
    reason = forms.CharField(
        label="Reason for the change",
        required=False,
        max_length=500,
        help_text="Required when you change the status, strands or area. Kept on the report's timeline.",
    )

    class Meta:
        model = Report
        fields = ["status", "strands", "area"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.has_changed() and set(self.changed_data) - {"reason"} and not data.get("reason"):
            self.add_error("reason", "Say why you are changing this report.")
        return data


class AdditionalInformationInline(admin.TabularInline):
    model = AdditionalInformation
    fields = readonly_fields = ("added_at", "text")
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReportEventInline(admin.TabularInline):
    model = ReportEvent
    verbose_name_plural = "timeline"
    fields = readonly_fields = ("at", "kind", "acting_user", "data")
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


PERSONAL_FIELDSETS: list[Any] = [
    (
        "Who reported",
        {"fields": ["reporter_role", "anonymous", "organisation_name", "channel", "language"]},
    ),
    (
        "What happened",
        {
            "fields": [
                "incident_types_list",
                "other_incident_type",
                "account",
                "when_kind",
                "occurred_on",
                "time_of_day",
                "period_start",
                "period_end",
                "still_happening",
            ]
        },
    ),
    (
        "Where",
        {
            "fields": [
                "location_kind",
                "location_description",
                "postcode",
                "online_platform",
                "online_link",
                "online_username",
            ]
        },
    ),
    (
        "Evidence (a video or audio statement first)",
        {"fields": ["evidence"]},
    ),
    ("Why", {"fields": ["other_motivation", "motivation_evidence"]}),
    (
        "People involved",
        {"fields": ["perpetrator_description", "perpetrator_known", "happened_before"]},
    ),
    (
        "Support, consent and contact",
        {
            "fields": [
                "wants_support",
                "wants_police_told",
                "consent_share_with_police",
                "consent_share_with_support",
                "contact_name",
                "contact_email",
                "contact_phone",
                "contact_methods",
                "safe_contact_times",
                "safe_to_leave_message",
                "preferred_language",
                "needs_interpreter",
                "needs_bsl",
                "accessibility_needs",
            ]
        },
    ),
]


EXPORT_COLUMNS = [
    "reference",
    "submitted_at",
    "status",
    "channel",
    "area",
    "strands",
    "incident_types",
    "account",
    "location_description",
    "online_platform",
    "contact_name",
    "contact_email",
    "contact_phone",
]


def _export_value(report: Report, name: str) -> object:
    if name == "strands":
        return ", ".join(s.name for s in report.strands.all())
    if name == "incident_types":
        return ", ".join(t.name for t in report.incident_types.all())
    return getattr(report, name)


@admin.register(Report)
class ReportAdmin(ScopedAuditedAdmin):
    """Triage: every report (triage officers), or the reports a reporting
    centre worker entered. Opening a report is written to the access log."""

    form = TriageForm
    list_display = [
        "reference",
        "submitted_at",
        "status",
        "channel",
        "area",
        "strand_names",
        "reporter_role",
        "language_and_needs",
    ]
    list_filter = ["status", "channel", "location_kind", "strands", "area__kind"]
    list_select_related = ["area"]
    search_fields = ["=reference"]
    date_hierarchy = "submitted_at"
    ordering = ["-submitted_at"]
    inlines = [AdditionalInformationInline, ReportEventInline]
    readonly_fields = [
        "reference",
        "submitted_at",
        "incident_types_list",
        "language_and_needs",
        *[
            name
            for _title, options in PERSONAL_FIELDSETS
            for name in options["fields"]
            if name not in ("incident_types_list", "evidence")
        ],
        "evidence",
    ]
    fieldsets = [
        (
            "Triage",
            {
                "fields": [
                    "reference",
                    "submitted_at",
                    "language_and_needs",
                    "status",
                    "strands",
                    "area",
                    "reason",
                ]
            },
        ),
        *PERSONAL_FIELDSETS,
    ]
    filter_horizontal = ["strands"]

    actions = ["export_csv"]

    @admin.action(description="Export the selected reports as CSV")
    def export_csv(self, request: HttpRequest, queryset: QuerySet[Report]) -> HttpResponseBase:
        """A sensitive action: the second factor again if the last check is
        old, one access-log entry naming the reports (never their content),
        and cells neutralised so free text cannot run as a spreadsheet formula."""
        if not second_factor_is_recent(request):
            return redirect(f"/staff/reverify/?next={request.get_full_path()}")
        # "Select all" can mean every report in the region: rows are read a
        # batch at a time by key and streamed, never held all at once.
        ordered = queryset.order_by("pk")
        audit_record(
            actor=request.user,
            action=AccessLogEntry.Action.EXPORT,
            object_type="reports.report",
            request=request,
            detail={
                "count": ordered.count(),
                "references": list(ordered.values_list("reference", flat=True)[:500]),
            },
        )
        reports = keyset_iterate(
            ordered.select_related("area").prefetch_related("strands", "incident_types"),
            batch_size=500,
        )
        return csv_streaming_response(
            filename="reports.csv",
            columns=EXPORT_COLUMNS,
            rows=([_export_value(report, name) for name in EXPORT_COLUMNS] for report in reports),
        )

    def visible_queryset(self, request: HttpRequest) -> QuerySet[Report]:
        return Report.objects.visible_to(request.user).prefetch_related("strands")

    def audit_reference(self, obj: Any) -> str:
        return str(obj.reference)

    def get_object(
        self, request: HttpRequest, object_id: str, from_field: str | None = None
    ) -> Any:
        report = super().get_object(request, object_id, from_field)
        # Who is looking decides which evidence (and which versions) the page shows.
        report._viewer = request.user
        return report

    @admin.display(description="Evidence")
    def evidence(self, obj: Report) -> str:
        return evidence_panel(report_id=obj.pk, viewer=getattr(obj, "_viewer", None))

    @admin.display(description="Strands")
    def strand_names(self, obj: Report) -> str:
        return ", ".join(strand.name for strand in obj.strands.all())

    @admin.display(description="Language and interpreting")
    def language_and_needs(self, obj: Report) -> str:
        # Contact should happen in the reporter's language: the language
        # they used on the site, and any interpreter or BSL need they gave.
        return report_language_needs(obj)

    @admin.display(description="What happened")
    def incident_types_list(self, obj: Report) -> str:
        return ", ".join(t.name for t in obj.incident_types.all())

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Reports are made through the reporting journey (assisted reports
        # too), never typed into the admin.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return has_role(
            request.user,
            Role.TRIAGE_OFFICER,
            Role.SYSTEM_ADMINISTRATOR,
            Role.REPORTING_CENTRE_WORKER,
        )

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return has_role(request.user, Role.TRIAGE_OFFICER)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fields = list(self.readonly_fields)
        if not self.has_change_permission(request, obj):
            fields += ["status", "strands", "area"]
        return fields

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if self.has_change_permission(request, obj):
            return self.fieldsets
        triage = (
            "Triage",
            {
                "fields": [
                    "reference",
                    "submitted_at",
                    "language_and_needs",
                    "status",
                    "strands",
                    "area",
                ]
            },
        )
        return [triage, *PERSONAL_FIELDSETS]

    def save_model(self, request: HttpRequest, obj: Report, form: Any, change: bool) -> None:
        report_triage(
            report=obj,
            acting_user=request.user,  # type: ignore[arg-type]
            status=form.cleaned_data["status"],
            strands=list(form.cleaned_data["strands"]),
            area=form.cleaned_data["area"],
            reason=form.cleaned_data.get("reason", ""),
        )
        messages.info(request, "The change and its reason are on the report's timeline.")

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # report_triage has already set the strands, inside its transaction.
        return None
