from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from audit.admin_utils import EstimatedCountPaginator
from referrals import services
from referrals.models import (
    Delivery,
    DeliveryAttempt,
    PoliceForceChannel,
    Provider,
    ProviderApiToken,
    Referral,
    ReferralEvent,
    RoutingRule,
    Service,
    StaffMembership,
)
from referrals.payloads import EVIDENCE_FIELDS, referral_data
from referrals.selectors import referrals_overdue


class ServiceInline(admin.StackedInline):
    model = Service
    extra = 0
    filter_horizontal = ["strands", "areas"]


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    list_display = ["name", "delivery_method", "website"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [ServiceInline]
    fieldsets = [
        (None, {"fields": ["name", "slug", "website", "description", "manager_email"]}),
        (
            _("Delivery channel"),
            {"fields": ["delivery_method", "webhook_url", "webhook_secret", "notification_email"]},
        ),
    ]


@admin.register(PoliceForceChannel)
class PoliceForceChannelAdmin(admin.ModelAdmin):
    list_display = ["police_force", "delivery_method", "notification_email", "webhook_url"]
    search_fields = ["police_force__name"]


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = ["priority", "strand", "area", "need", "service", "active"]
    list_filter = ["active", "strand", "need"]
    list_editable = ["active"]
    autocomplete_fields = ["service"]


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["__str__", "capacity", "accepts_referrals", "listed"]
    list_filter = ["capacity", "accepts_referrals"]
    search_fields = ["name", "provider__name"]


@admin.register(ProviderApiToken)
class ProviderApiTokenAdmin(admin.ModelAdmin):
    list_display = ["provider", "name", "created_at", "revoked"]
    readonly_fields = ["key_hash", "created_at"]
    # Keys are issued with `manage.py provider_token`, which shows the key
    # once; the admin only revokes.
    fields = ["provider", "name", "key_hash", "created_at", "revoked"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


class OverdueFilter(admin.SimpleListFilter):
    title = _("overdue")
    parameter_name = "overdue"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", str(_("Overdue")))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Referral]) -> QuerySet[Referral]:
        if self.value() == "yes":
            return queryset.filter(pk__in=referrals_overdue().values("pk"))
        return queryset


class DeliveryInline(admin.TabularInline):
    model = Delivery
    extra = 0
    can_delete = False
    fields = ["kind", "message_id", "status", "attempt_count", "sent_at", "last_error"]
    readonly_fields = ["kind", "message_id", "status", "attempt_count", "sent_at", "last_error"]


class ReferralEventInline(admin.TabularInline):
    model = ReferralEvent
    extra = 0
    can_delete = False
    fields = ["at", "kind", "acting_user", "acting_provider", "data"]
    readonly_fields = ["at", "kind", "acting_user", "acting_provider", "data"]


class RoutingOverrideForm(forms.ModelForm):
    """Triage sends a report to a service routing did not choose."""

    override_reason = forms.CharField(
        label=_("Why"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
        help_text=_("Recorded with the referral and shown to staff."),
    )

    class Meta:
        model = Referral
        fields = ["report", "service"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service"].required = True

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        report, service = data.get("report"), data.get("service")
        if report and service and report.referrals.filter(service=service).exists():
            raise forms.ValidationError(_("This report has already been sent to that service."))
        if report and not (report.wants_support and report.consent_share_with_support):
            raise forms.ValidationError(_("The reporter did not agree to be referred for support."))
        return data


@admin.register(Referral)
class ReferralAdmin(admin.ModelAdmin):
    # A region's referrals run to millions: estimate the unfiltered count.
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    list_display = [
        "id",
        "report",
        "recipient",
        "delivery_status",
        "outcome",
        "deliver_by",
        "contact_by",
        "is_overdue",
    ]
    list_filter = [OverdueFilter, "kind", "delivery_status", "outcome"]
    list_select_related = ["report", "service__provider", "police_force"]
    raw_id_fields = ["report"]
    search_fields = ["report__reference"]
    readonly_fields = [
        "report",
        "kind",
        "service",
        "police_force",
        "reason",
        "risk_level",
        "created_at",
        "deliver_by",
        "delivery_status",
        "delivered_at",
        "contact_by",
        "first_contact_at",
        "outcome",
        "outcome_at",
        "decline_reason",
        "advocate_name",
        "shared_details",
    ]
    fields = [*readonly_fields, "advocate"]
    inlines = [DeliveryInline, ReferralEventInline]
    actions = ["acknowledge", "accept", "requeue"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Referral]:
        # Access is the queryset: list, change page, actions and search all
        # go through it, so another organisation's referral does not exist.
        return super().get_queryset(request).visible_to(request.user)  # type: ignore[attr-defined]

    @admin.display(description=_("what the victim agreed to share with you"))
    def shared_details(self, referral: Referral) -> SafeString:
        if referral.outcome == Referral.Outcome.WITHDRAWN:
            return format_html("{}", _("Consent withdrawn: nothing is shared."))
        # Evidence is shown by the evidence panel, through the authorised view.
        data = {
            name: value
            for name, value in referral_data(referral=referral).items()
            if name not in EVIDENCE_FIELDS
        }
        return format_html(
            "<dl>{}</dl>",
            format_html_join("", "<dt>{}</dt><dd>{}</dd>", ((k, v) for k, v in data.items())),
        )

    def get_form(
        self, request: HttpRequest, obj: Referral | None = None, change: bool = False, **kwargs: Any
    ) -> type[ModelForm[Referral]]:
        if obj is None:
            # Adding a referral is triage overriding routing, with a reason.
            kwargs["form"] = RoutingOverrideForm
            kwargs["fields"] = ["report", "service", "override_reason"]
        return super().get_form(request, obj, change, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Referral | None = None) -> Any:
        return self.readonly_fields if obj is not None else []

    def get_fields(self, request: HttpRequest, obj: Referral | None = None) -> Any:
        if obj is None:
            return ["report", "service", "override_reason"]
        return self.fields

    def get_inlines(self, request: HttpRequest, obj: Referral | None) -> list[Any]:
        return self.inlines if obj is not None else []

    def save_model(self, request: HttpRequest, obj: Referral, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        assert isinstance(request.user, User)
        created = services.referral_override(
            report=form.cleaned_data["report"],
            service=form.cleaned_data["service"],
            reason=form.cleaned_data["override_reason"],
            acting_user=request.user,
        )
        obj.pk = created.pk
        obj.__dict__.update(created.__dict__)

    @admin.display(description=_("recipient"))
    def recipient(self, referral: Referral) -> str:
        return referral.recipient_name

    @admin.display(description=_("overdue"), boolean=True)
    def is_overdue(self, referral: Referral) -> bool:
        now = timezone.now()
        if referral.delivery_status in (
            Referral.DeliveryStatus.PENDING,
            Referral.DeliveryStatus.FAILED,
        ):
            return referral.deliver_by < now
        return bool(
            referral.delivery_status == Referral.DeliveryStatus.DELIVERED
            and referral.outcome not in (Referral.Outcome.DECLINED, Referral.Outcome.WITHDRAWN)
            and referral.first_contact_at is None
            and referral.contact_by is not None
            and referral.contact_by < now
        )

    def _each(
        self, request: HttpRequest, queryset: QuerySet[Referral], action: str, **kwargs: Any
    ) -> None:
        done = 0
        for referral in queryset:
            try:
                getattr(services, action)(referral=referral, acting_user=request.user, **kwargs)
                done += 1
            except services.InvalidTransition as exc:
                self.message_user(request, f"{referral.pk}: {exc}", messages.WARNING)
        self.message_user(request, f"{done} referral(s) updated.")

    @admin.action(description=_("Acknowledge the selected referrals"))
    def acknowledge(self, request: HttpRequest, queryset: QuerySet[Referral]) -> None:
        self._each(request, queryset, "referral_acknowledge")

    @admin.action(description=_("Accept the selected referrals (assigned to me)"))
    def accept(self, request: HttpRequest, queryset: QuerySet[Referral]) -> None:
        self._each(request, queryset, "referral_accept", advocate=request.user)

    @admin.action(description=_("Re-queue failed deliveries"))
    def requeue(self, request: HttpRequest, queryset: QuerySet[Referral]) -> None:
        self._each(request, queryset, "referral_requeue")


@admin.register(StaffMembership)
class StaffMembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "provider", "police_force"]
    autocomplete_fields = ["user"]


@admin.register(DeliveryAttempt)
class DeliveryAttemptAdmin(admin.ModelAdmin):
    list_display = ["delivery", "at", "succeeded", "status_code", "latency_ms", "error"]
    list_filter = ["succeeded"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[DeliveryAttempt]:
        visible = Referral.objects.visible_to(request.user)
        return super().get_queryset(request).filter(delivery__referral__in=visible)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# Caseloads, memberships, and the referrals admin scoped to each viewer (issue 5).
from referrals import case_admin  # noqa: E402, F401
