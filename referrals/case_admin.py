"""The advocate's caseload and the recipients' view of referrals in the staff site.

Every list, object page, history, deletion and autocomplete reads through
``visible_to(user)`` (ScopedAuditedAdmin): a case or referral outside the
viewer's scope answers 404, and every look is in the access log. Writes go
through referrals.case_services (and referrals.services); the admin only
parses the forms and calls them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth.models import User
from django.db import models
from django.db.models import BooleanField, ExpressionWrapper, Model, OuterRef, Q, QuerySet, Value
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from audit.admin_utils import ScopedAuditedAdmin
from audit.roles import Role, has_role
from audit.views import second_factor_is_recent
from evidence.admin import evidence_panel
from privacy.fields import EncryptedTextField
from referrals import case_services
from referrals.admin import ReferralAdmin, StaffMembershipAdmin
from referrals.case_models import (
    OUTCOME_MEASURES,
    Case,
    CaseAction,
    CaseEvent,
    CaseNote,
    ContactAttempt,
    NeedsAssessment,
    OutcomeMeasure,
    PoliceResponse,
    RepeatVictimLink,
    RiskAssessment,
    SafetyPlan,
    report_visible_q,
    reports_visible_to,
)
from referrals.models import Provider, Referral, ReferralEvent, StaffMembership
from referrals.payloads import EVIDENCE_FIELDS, referral_data
from reports.admin import ReportAdmin
from reports.models import Area, Report, Strand

CASEWORKERS = (Role.ADVOCATE, Role.PROVIDER_MANAGER)
CASE_READERS = (*CASEWORKERS, Role.TRIAGE_OFFICER, Role.SYSTEM_ADMINISTRATOR)
RECIPIENTS = (*CASEWORKERS, Role.POLICE_LIAISON)
REFERRAL_READERS = (*RECIPIENTS, Role.TRIAGE_OFFICER, Role.SYSTEM_ADMINISTRATOR)


def _shared_report_html(referral: Referral) -> str:
    """The report as this recipient may see it (what the victim agreed to share)."""
    data = {
        name: value
        for name, value in referral_data(referral=referral).items()
        if name not in EVIDENCE_FIELDS
    }
    rows = [
        (name.replace("_", " "), value)
        for name, value in data.items()
        if value not in ("", None, [], {})
    ]
    if not rows:
        return str(_("Nothing shared: the victim has not agreed to share their report."))
    return format_html("<dl>{}</dl>", format_html_join("", "<dt>{}</dt><dd>{}</dd>", rows))


# --- Filters -----------------------------------------------------------------------------------


class StrandFilter(admin.SimpleListFilter):
    title = _("strand")
    parameter_name = "strand"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(strand.code, strand.name) for strand in Strand.objects.all()]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value():
            return queryset.filter(referral__report__strands__code=self.value())
        return queryset


class AreaFilter(admin.SimpleListFilter):
    title = _("area")
    parameter_name = "area"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(area.code, area.name) for area in Area.objects.all()]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value():
            return queryset.filter(referral__report__area__code=self.value())
        return queryset


class CaseOverdueFilter(admin.SimpleListFilter):
    title = _("overdue")
    parameter_name = "overdue"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", str(_("Overdue")))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "yes":
            return queryset.filter(next_due_at__lt=timezone.now()).exclude(
                status=Case.Status.CLOSED
            )
        return queryset


class CaseloadFilter(admin.SimpleListFilter):
    title = _("caseload")
    parameter_name = "caseload"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("mine", str(_("My cases"))), ("unassigned", str(_("Unassigned")))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "mine":
            return queryset.filter(advocate=request.user)
        if self.value() == "unassigned":
            return queryset.filter(advocate__isnull=True)
        return queryset


# --- Case records (inlines: earlier records read-only, new ones through services) ---------------


class CaseRecordInline(admin.StackedInline):
    # Stacked, not tabular: each input gets its own <label> (a tabular
    # inline labels columns only, which screen readers do not announce).

    extra = 1
    can_delete = False
    record_fields: list[str] = []
    shown_fields: list[str] = []

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [*self.record_fields, *self.shown_fields, "recorded_at", "recorded_by"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [*self.shown_fields, "recorded_at", "recorded_by"]

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return has_role(request.user, *CASE_READERS)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return (
            has_role(request.user, *CASEWORKERS)
            and obj is not None
            and obj.status != Case.Status.CLOSED
        )

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Records are never edited: a correction is a new record.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def record(self, *, case: Case, user: User, data: dict[str, Any]) -> Model:
        raise NotImplementedError


class ContactAttemptInline(CaseRecordInline):
    model = ContactAttempt
    verbose_name_plural = _("contact attempts")
    record_fields = ["method", "outcome", "next_attempt_due"]
    # One labelled date-and-time input (the admin's split widget leaves its
    # two inputs without labels).
    formfield_overrides = {
        models.DateTimeField: {
            "widget": forms.DateTimeInput(format="%Y-%m-%dT%H:%M", attrs={"type": "datetime-local"})
        }
    }

    def record(self, *, case: Case, user: User, data: dict[str, Any]) -> Model:
        return case_services.case_contact_record(case=case, acting_user=user, **data)


class NeedsAssessmentInline(CaseRecordInline):
    model = NeedsAssessment
    verbose_name_plural = _("needs assessments (Victims' Code)")
    record_fields = [
        "justice_information",
        "compensation",
        "trial_preparation",
        "emotional_support",
        "financial_practical",
        "repeat_victimisation",
        "specialist_services",
        "notes",
    ]

    def record(self, *, case: Case, user: User, data: dict[str, Any]) -> Model:
        notes = data.pop("notes", "")
        needs = [code for code, ticked in data.items() if ticked]
        return case_services.case_needs_assess(
            case=case, acting_user=user, needs=needs, notes=notes
        )


class RiskAssessmentInline(CaseRecordInline):
    model = RiskAssessment
    verbose_name_plural = _("risk assessments")
    record_fields = ["escalation", "repeat_targeting", "vulnerability", "perpetrator_proximity"]
    shown_fields = ["level", "reasons"]

    def record(self, *, case: Case, user: User, data: dict[str, Any]) -> Model:
        return case_services.case_risk_assess(case=case, acting_user=user, **data)


class SafetyPlanInline(CaseRecordInline):
    model = SafetyPlan
    verbose_name_plural = _("safety plan")
    record_fields = ["plan", "review_by"]

    def record(self, *, case: Case, user: User, data: dict[str, Any]) -> Model:
        return case_services.case_safety_plan_record(case=case, acting_user=user, **data)


class CaseActionInline(CaseRecordInline):
    model = CaseAction
    verbose_name_plural = _("actions")
    record_fields = ["description", "due_on"]
    shown_fields = ["done_at"]

    def record(self, *, case: Case, user: User, data: dict[str, Any]) -> Model:
        return case_services.case_action_add(case=case, acting_user=user, **data)


class CaseNoteInline(CaseRecordInline):
    model = CaseNote
    verbose_name_plural = _("notes")
    record_fields = ["text"]

    def record(self, *, case: Case, user: User, data: dict[str, Any]) -> Model:
        return case_services.case_note_add(case=case, acting_user=user, **data)


class OutcomeMeasureInline(CaseRecordInline):
    model = OutcomeMeasure
    verbose_name_plural = _("outcome measures (cope and recover, 1 to 5)")
    record_fields = ["stage", *OUTCOME_MEASURES]
    max_num = 2

    def record(self, *, case: Case, user: User, data: dict[str, Any]) -> Model:
        stage = data.pop("stage")
        return case_services.case_outcomes_record(
            case=case,
            acting_user=user,
            stage=stage,
            measures={name: int(value) for name, value in data.items()},
        )


class CaseEventInline(admin.TabularInline):
    model = CaseEvent
    verbose_name_plural = _("timeline")
    fields = readonly_fields = ("at", "kind", "acting_user", "data")
    extra = 0
    can_delete = False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return has_role(request.user, *CASE_READERS)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# --- The case ------------------------------------------------------------------------------------


class CaseForm(forms.ModelForm):
    close_reason = forms.ChoiceField(
        label=_("Close the case"),
        required=False,
        choices=[("", "---------"), *Case.ClosureReason.choices],
        help_text=_("Record the outcome measures at closure first."),
    )

    class Meta:
        model = Case
        fields = ["advocate"]


# What a caseload row never shows: the report's and the provider's encrypted
# fields. Deferred on the list so a page of 50 cases neither fetches nor
# decrypts a victim's account or contact details.
CASELOAD_DEFERRED = [
    *(
        f"referral__report__{f.name}"
        for f in Report._meta.concrete_fields
        if isinstance(f, EncryptedTextField)
    ),
    *(
        f"provider__{f.name}"
        for f in Provider._meta.concrete_fields
        if isinstance(f, EncryptedTextField)
    ),
]


class CaseloadChangeList(ChangeList):
    """The caseload list: the page's rows come from an index in caseload order
    and are counted without joins; the repeat-victim flag is then worked out
    for those rows only (one query), so the page costs the same whether the
    viewer has fifty cases or fifty thousand."""

    def get_queryset(self, request: HttpRequest, exclude_parameters: Any = None) -> QuerySet[Any]:
        return super().get_queryset(request, exclude_parameters).defer(*CASELOAD_DEFERRED)

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        cases = list(self.result_list)
        repeat_victims_flag(cases, viewer=request.user)
        self.result_list = cases


def repeat_victims_flag(cases: list[Case], *, viewer: Any) -> None:
    """Set ``repeat_victim_seen`` on each case: its report is linked to another
    (same contact details, by blind index) that this viewer may also see."""
    reports = {case.referral.report_id for case in cases}
    if not reports:
        return

    def visible(column: str) -> Any:
        condition = report_visible_q(viewer, OuterRef(column))
        return (
            Value(True)
            if not condition
            else ExpressionWrapper(condition, output_field=BooleanField())
        )

    links = (
        RepeatVictimLink.objects.filter(Q(earlier_id__in=reports) | Q(later_id__in=reports))
        .annotate(earlier_visible=visible("earlier_id"), later_visible=visible("later_id"))
        .values_list("earlier_id", "later_id", "earlier_visible", "later_visible")
    )
    flagged = set()
    for earlier, later, earlier_visible, later_visible in links:
        if earlier in reports and later_visible:
            flagged.add(earlier)
        if later in reports and earlier_visible:
            flagged.add(later)
    for case in cases:
        case.repeat_victim_seen = case.referral.report_id in flagged  # type: ignore[attr-defined]


@admin.register(Case)
class CaseAdmin(ScopedAuditedAdmin):
    """The caseload: an advocate's own cases (a manager's: the provider's),
    highest risk and nearest deadline first."""

    form = CaseForm
    list_display = [
        "reference",
        "risk_level",
        "status",
        "next_due_at",
        "is_overdue",
        "advocate",
        "area",
        "strand_names",
        "is_repeat_victim",
        "opened_at",
    ]
    list_display_links = ["reference"]
    list_filter = [
        CaseloadFilter,
        "status",
        "risk_level",
        StrandFilter,
        CaseOverdueFilter,
        AreaFilter,
    ]
    search_fields = ["=reference"]
    ordering = ["-risk_level", "next_due_at", "id"]
    list_per_page = 50
    inlines = [
        ContactAttemptInline,
        RiskAssessmentInline,
        NeedsAssessmentInline,
        SafetyPlanInline,
        CaseActionInline,
        OutcomeMeasureInline,
        CaseNoteInline,
        CaseEventInline,
    ]
    case_fields = [
        "reference",
        "provider",
        "status",
        "risk_level",
        "opened_at",
        "contact_by",
        "next_due_at",
        "closed_at",
        "closure_reason",
    ]
    readonly_fields = [
        *case_fields,
        "repeat_victim",
        "shared_report",
        "evidence",
        "referral_history",
    ]

    def visible_queryset(self, request: HttpRequest) -> QuerySet[Case]:
        # The repeat-victim column is worked out per page (CaseloadChangeList).
        return (
            Case.objects.visible_to(request.user)
            .for_caseload()
            .prefetch_related("referral__report__strands")
        )

    def audit_reference(self, obj: Any) -> str:
        return str(obj.reference)

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return CaseloadChangeList

    def get_object(
        self, request: HttpRequest, object_id: str, from_field: str | None = None
    ) -> Any:
        case = super().get_object(request, object_id, from_field)
        # Who is looking decides which linked reports the page may mention.
        case._viewer = request.user
        return case

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        work = ["advocate"]
        if (
            obj is not None
            and obj.status != Case.Status.CLOSED
            and self.has_change_permission(request, obj)
        ):
            work.append("close_reason")
        return [
            (None, {"fields": self.case_fields[:4] + work + self.case_fields[4:]}),
            (_("Repeat victim"), {"fields": ["repeat_victim"]}),
            (_("The report, as the victim agreed to share it"), {"fields": ["shared_report"]}),
            (_("Evidence (a video or audio statement first)"), {"fields": ["evidence"]}),
            (_("Referral history"), {"fields": ["referral_history"]}),
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fields = list(self.readonly_fields)
        if not has_role(request.user, Role.PROVIDER_MANAGER):
            fields.append("advocate")
        return fields

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change, **kwargs)
        if "advocate" in form.base_fields and obj is not None:
            form.base_fields["advocate"].queryset = (  # type: ignore[attr-defined]
                User.objects.filter(
                    referrals_membership__provider_id=obj.provider_id,
                    groups__name__in=[Role.ADVOCATE.value, Role.PROVIDER_MANAGER.value],
                    is_active=True,
                ).distinct()
            )
        return form

    # Permissions: roles decide what kind of page; visible_to decides which rows.
    def has_module_permission(self, request: HttpRequest) -> bool:
        return has_role(request.user, *CASE_READERS)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return has_role(request.user, *CASE_READERS)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return has_role(request.user, *CASEWORKERS)

    def has_add_permission(self, request: HttpRequest) -> bool:
        # A case is opened by accepting a referral, never typed in.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Case records are kept (retention is a policy job, not a button).
        return False

    # Columns
    @admin.display(description=_("area"), ordering="referral__report__area__name")
    def area(self, case: Case) -> str:
        return str(case.referral.report.area)

    @admin.display(description=_("strands"))
    def strand_names(self, case: Case) -> str:
        return ", ".join(strand.name for strand in case.referral.report.strands.all())

    @admin.display(description=_("repeat victim"), boolean=True)
    def is_repeat_victim(self, case: Case) -> bool:
        return bool(getattr(case, "repeat_victim_seen", False))

    @admin.display(description=_("overdue"), boolean=True)
    def is_overdue(self, case: Case) -> bool:
        return bool(
            case.status != Case.Status.CLOSED
            and case.next_due_at is not None
            and case.next_due_at < timezone.now()
        )

    @admin.display(description=_("what the victim shared"))
    def shared_report(self, case: Case) -> str:
        return _shared_report_html(case.referral)

    @admin.display(description=_("evidence"))
    def evidence(self, case: Case) -> str:
        # The versions this viewer may have: a provider's staff the
        # location-stripped copies only (evidence.selectors).
        return evidence_panel(
            report_id=case.referral.report_id, viewer=getattr(case, "_viewer", None)
        )

    @admin.display(description=_("referral history"))
    def referral_history(self, case: Case) -> str:
        events = ReferralEvent.objects.filter(referral_id=case.referral_id).order_by("at", "id")
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li>{}: {}</li>",
                ((f"{event.at:%Y-%m-%d %H:%M}", event.get_kind_display()) for event in events),
            ),
        )

    @admin.display(description=_("repeat victim"))
    def repeat_victim(self, case: Case) -> str:
        viewer = getattr(case, "_viewer", None)
        return repeat_victim_text(report_id=case.referral.report_id, viewer=viewer)

    # Writes, through the services
    def save_model(self, request: HttpRequest, obj: Case, form: Any, change: bool) -> None:
        if "advocate" in form.changed_data:
            case_services.case_assign(
                case=obj,
                advocate=form.cleaned_data["advocate"],
                acting_user=request.user,  # type: ignore[arg-type]
            )

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        case: Case = form.instance
        inlines = {
            type(inline).__name__: inline for inline in self.get_inline_instances(request, case)
        }
        user: User = request.user  # type: ignore[assignment]
        for formset in formsets:
            # What the admin's change message reads (formset.save() is not used:
            # records are made by the services).
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
            inline = next(
                (
                    i
                    for i in inlines.values()
                    if isinstance(i, CaseRecordInline) and i.model is formset.model
                ),
                None,
            )
            if inline is None:
                continue
            for record_form in formset.extra_forms:
                if not record_form.has_changed():
                    continue
                data = {name: record_form.cleaned_data.get(name) for name in inline.record_fields}
                try:
                    formset.new_objects.append(inline.record(case=case, user=user, data=data))
                except case_services.CaseError as exc:
                    messages.error(request, str(exc))
        reason = form.cleaned_data.get("close_reason")
        if reason:
            try:
                case_services.case_close(case=case, acting_user=user, reason=reason)
            except case_services.CaseError as exc:
                messages.error(request, str(exc))


def repeat_victim_text(*, report_id: int, viewer: Any) -> str:
    """Other reports by the same person (blind-index match), shown only when
    the viewer may see both: never a hint about a report they cannot open."""
    links = RepeatVictimLink.objects.filter(earlier_id=report_id) | RepeatVictimLink.objects.filter(
        later_id=report_id
    )
    other_ids = {
        link.later_id if link.earlier_id == report_id else link.earlier_id for link in links
    }
    if not other_ids or viewer is None:
        return str(_("No earlier or later reports from the same contact details."))
    visible = (
        reports_visible_to(viewer).filter(pk__in=other_ids).values_list("reference", flat=True)
    )
    references = sorted(visible)
    if not references:
        return str(_("No earlier or later reports from the same contact details."))
    return format_html(
        "<strong>{}</strong> {}",
        _("Repeat victim:"),
        ", ".join(references),
    )


# --- Actions due, across the caseload (and the case autocomplete) --------------------------------


class CaseActionForm(forms.ModelForm):
    class Meta:
        model = CaseAction
        fields = ["case", "description", "due_on"]


@admin.register(CaseAction)
class CaseActionAdmin(ScopedAuditedAdmin):
    form = CaseActionForm
    list_display = ["case", "due_on", "done_at"]
    list_filter = ["done_at"]
    list_select_related = ["case"]
    ordering = ["done_at", "due_on", "id"]
    autocomplete_fields = ["case"]
    actions = ["mark_done"]

    def visible_queryset(self, request: HttpRequest) -> QuerySet[CaseAction]:
        return CaseAction.objects.visible_to(request.user).select_related("case")

    def audit_reference(self, obj: Any) -> str:
        return str(obj.case.reference)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ["case", "description", "due_on"]
        return ["case", "description", "due_on", "done_at", "recorded_at", "recorded_by"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [] if obj is None else self.get_fields(request, obj)

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change, **kwargs)
        if "case" in form.base_fields:
            form.base_fields["case"].queryset = (  # type: ignore[attr-defined]
                Case.objects.visible_to(request.user).exclude(status=Case.Status.CLOSED)
            )
        return form

    def has_module_permission(self, request: HttpRequest) -> bool:
        return has_role(request.user, *CASE_READERS)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return has_role(request.user, *CASE_READERS)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return has_role(request.user, *CASEWORKERS)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return has_role(request.user, *CASEWORKERS) and (obj is None or obj.done_at is None)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: CaseAction, form: Any, change: bool) -> None:
        if change:
            return
        created = case_services.case_action_add(
            case=form.cleaned_data["case"],
            acting_user=request.user,  # type: ignore[arg-type]
            description=form.cleaned_data["description"],
            due_on=form.cleaned_data["due_on"],
        )
        obj.pk = created.pk

    @admin.action(description=_("Mark the selected actions done"))
    def mark_done(self, request: HttpRequest, queryset: QuerySet[CaseAction]) -> None:
        done = 0
        for action in queryset.filter(done_at__isnull=True):
            case_services.case_action_complete(action=action, acting_user=request.user)  # type: ignore[arg-type]
            done += 1
        self.message_user(request, f"{done} action(s) done.")


# --- Referrals, as their recipients see them -------------------------------------------------------


class PoliceResponseInline(admin.StackedInline):
    model = PoliceResponse
    fields = ["crime_reference", "outcome", "updated_at", "updated_by"]
    readonly_fields = ["updated_at", "updated_by"]
    can_delete = False
    max_num = 1
    extra = 1

    def _police(self, request: HttpRequest) -> bool:
        return has_role(request.user, Role.POLICE_LIAISON)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return has_role(
            request.user, Role.POLICE_LIAISON, Role.TRIAGE_OFFICER, Role.SYSTEM_ADMINISTRATOR
        )

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._police(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._police(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class RecipientReferralEventInline(admin.TabularInline):
    model = ReferralEvent
    verbose_name_plural = _("referral history")
    fields = readonly_fields = ("at", "kind", "acting_provider", "data")
    extra = 0
    can_delete = False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return has_role(request.user, *REFERRAL_READERS)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ScopedReferralAdmin(ScopedAuditedAdmin, ReferralAdmin):
    """The referrals admin (referrals/admin.py), limited to each viewer's
    referrals and audited; a police liaison sees only what the victim agreed
    to share with their force, and records the crime reference and outcome."""

    police_fields = [
        "kind",
        "police_force",
        "created_at",
        "delivered_at",
        "outcome",
        "outcome_at",
        "shared_details",
        "evidence",
        "repeat_victim",
    ]

    def visible_queryset(self, request: HttpRequest) -> QuerySet[Referral]:
        return Referral.objects.visible_to(request.user).select_related(
            "report", "service__provider", "police_force"
        )

    def audit_reference(self, obj: Any) -> str:
        return str(obj.report.reference)

    def get_object(
        self, request: HttpRequest, object_id: str, from_field: str | None = None
    ) -> Any:
        referral = super().get_object(request, object_id, from_field)
        referral._viewer = request.user
        return referral

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return super().get_fields(request, obj)  # triage's routing override
        if has_role(request.user, Role.POLICE_LIAISON) and not has_role(
            request.user, Role.TRIAGE_OFFICER, Role.SYSTEM_ADMINISTRATOR
        ):
            return list(self.police_fields)
        return [*ReferralAdmin.readonly_fields, "evidence", "advocate", "repeat_victim"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return super().get_readonly_fields(request, obj)
        # Assigning an advocate is done on the case (case_assign), not here.
        return [*self.get_fields(request, obj)]

    def get_inlines(self, request: HttpRequest, obj: Any) -> list[Any]:
        if obj is None:
            return []
        if obj.kind == Referral.Kind.POLICE:
            return [PoliceResponseInline, RecipientReferralEventInline]
        return [RecipientReferralEventInline]

    def get_actions(self, request: HttpRequest) -> Any:
        actions = super().get_actions(request)
        allowed: dict[str, tuple[Role, ...]] = {
            "acknowledge": RECIPIENTS,
            "accept": CASEWORKERS,
            "requeue": (Role.TRIAGE_OFFICER, Role.SYSTEM_ADMINISTRATOR),
        }
        return {
            name: action
            for name, action in actions.items()
            if name not in allowed or has_role(request.user, *allowed[name])
        }

    def has_module_permission(self, request: HttpRequest) -> bool:
        return has_role(request.user, *REFERRAL_READERS)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return has_role(request.user, *REFERRAL_READERS)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return has_role(request.user, *RECIPIENTS, Role.TRIAGE_OFFICER)

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Adding a referral is triage overriding routing (ReferralAdmin's form).
        return has_role(request.user, Role.TRIAGE_OFFICER) or super().has_add_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("evidence"))
    def evidence(self, referral: Referral) -> str:
        # Police get the originals with their hashes; support services the
        # location-stripped copies (evidence.selectors decides per viewer).
        return evidence_panel(
            report_id=referral.report_id, viewer=getattr(referral, "_viewer", None)
        )

    @admin.display(description=_("repeat victim"))
    def repeat_victim(self, referral: Referral) -> str:
        return repeat_victim_text(
            report_id=referral.report_id, viewer=getattr(referral, "_viewer", None)
        )

    def save_model(self, request: HttpRequest, obj: Referral, form: Any, change: bool) -> None:
        if not change:
            super().save_model(request, obj, form, change)  # the routing override service
        # On a change every field is read-only: changes are the actions and the police response.

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        for formset in formsets:
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
            if formset.model is not PoliceResponse or not has_role(
                request.user, Role.POLICE_LIAISON
            ):
                continue
            for response_form in formset.forms:
                if not response_form.has_changed():
                    continue
                case_services.police_response_record(
                    referral=form.instance,
                    acting_user=request.user,  # type: ignore[arg-type]
                    crime_reference=response_form.cleaned_data.get("crime_reference", ""),
                    outcome=response_form.cleaned_data.get("outcome", ""),
                )

    @admin.action(description=_("Accept the selected referrals"))
    def accept(self, request: HttpRequest, queryset: QuerySet[Referral]) -> None:
        # An advocate takes the referral on themselves; a manager accepts it
        # for the provider and assigns an advocate on the case.
        advocate = request.user if has_role(request.user, Role.ADVOCATE) else None
        self._each(request, queryset, "referral_accept", advocate=advocate)


admin.site.unregister(Referral)
admin.site.register(Referral, ScopedReferralAdmin)


# --- Memberships (who works for which organisation): system administrators only -------------------


class MembershipAdmin(StaffMembershipAdmin):
    list_display = ["user", "provider", "police_force"]
    list_select_related = ["user", "provider", "police_force"]
    search_fields = ["user__username"]
    list_filter = ["provider", "police_force"]
    fields = ["user", "provider", "police_force"]

    def _sysadmin(self, request: HttpRequest) -> bool:
        return has_role(request.user, Role.SYSTEM_ADMINISTRATOR)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._sysadmin(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._sysadmin(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._sysadmin(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._sysadmin(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._sysadmin(request)

    def _reverified(
        self, view: Callable[..., HttpResponse], request: HttpRequest, *args: Any, **kwargs: Any
    ) -> HttpResponse:
        # A membership change is a role change: ask for the second factor again.
        if request.method == "POST" and not second_factor_is_recent(request):
            return redirect(f"/staff/reverify/?next={request.get_full_path()}")
        return view(request, *args, **kwargs)

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        return self._reverified(super().add_view, request, form_url, extra_context)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: Any = None,
    ) -> HttpResponse:
        return self._reverified(super().change_view, request, object_id, form_url, extra_context)

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: Any = None
    ) -> HttpResponse:
        return self._reverified(super().delete_view, request, object_id, extra_context)

    def save_model(
        self, request: HttpRequest, obj: StaffMembership, form: Any, change: bool
    ) -> None:
        created = case_services.membership_add(
            user=obj.user,
            provider=obj.provider,
            police_force=obj.police_force,
            acting_user=request.user,  # type: ignore[arg-type]
        )
        obj.pk = created.pk

    def delete_model(self, request: HttpRequest, obj: StaffMembership) -> None:
        case_services.membership_remove(membership=obj, acting_user=request.user)  # type: ignore[arg-type]

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[StaffMembership]) -> None:
        for membership in queryset:
            self.delete_model(request, membership)


admin.site.unregister(StaffMembership)
admin.site.register(StaffMembership, MembershipAdmin)


# --- The report's triage page, with where it was sent and why -------------------------------------


def routing_explanation(*, report: Report, viewer: Any) -> str:
    """Where a report went and why, in plain words, from the reasons routing
    recorded on each referral ("sent to Galop because: sexual orientation,
    area Lambeth, victim asked for support"), with triage's overrides and
    their reasons, and what became of each referral."""
    referrals = list(
        report.referrals.select_related("service__provider", "police_force")
        .prefetch_related(
            models.Prefetch(
                "events",
                queryset=ReferralEvent.objects.filter(
                    kind=ReferralEvent.Kind.CREATED, data__has_key="override_reason"
                ).select_related("acting_user"),
                to_attr="overrides",
            )
        )
        .order_by("created_at", "id")
    )
    lines: list[tuple[str, str]] = []
    for referral in referrals:
        status = [str(referral.get_delivery_status_display())]
        if referral.outcome:
            status.append(str(referral.get_outcome_display()))
        if referral.decline_reason:
            status.append(str(_("declined because: %s")) % referral.decline_reason)
        for event in referral.overrides:
            who = event.acting_user.get_username() if event.acting_user else ""
            status.append(
                str(_("routing overridden by %(who)s on %(when)s"))
                % {"who": who, "when": f"{event.at:%Y-%m-%d %H:%M}"}
            )
        lines.append((referral.reason, "; ".join(status)))
    not_sent = []
    if not (report.wants_support and report.consent_share_with_support):
        not_sent.append(
            str(_("Not referred for support: the victim did not ask for it or did not agree."))
        )
    if not (report.wants_police_told and report.consent_share_with_police):
        not_sent.append(
            str(_("Not sent to the police: the victim did not ask for it or did not agree."))
        )
    html = format_html(
        "<ul>{}{}</ul>",
        format_html_join("", "<li>{} <em>({})</em></li>", lines),
        format_html_join("", "<li>{}</li>", ((line,) for line in not_sent)),
    )
    if has_role(viewer, Role.TRIAGE_OFFICER):
        add = f"/staff/referrals/referral/add/?report={report.pk}"
        html = format_html(
            '{}<p><a href="{}">{}</a></p>',
            html,
            add,
            _("Send to another service (say why: it is recorded)"),
        )
    return html


class RoutedReportAdmin(ReportAdmin):
    """The triage page of a report (reports.admin) with the routing decision
    explained: the reports app does not know about referrals, so this app
    adds it."""

    readonly_fields = [*ReportAdmin.readonly_fields, "routing"]

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets = list(super().get_fieldsets(request, obj))
        if obj is None:
            return fieldsets
        routing = (_("Where it was sent, and why"), {"fields": ["routing"]})
        return [fieldsets[0], routing, *fieldsets[1:]]

    @admin.display(description=_("routing"))
    def routing(self, report: Report) -> str:
        return routing_explanation(report=report, viewer=getattr(report, "_viewer", None))


admin.site.unregister(Report)
admin.site.register(Report, RoutedReportAdmin)
