from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

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
)
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


@admin.register(Referral)
class ReferralAdmin(admin.ModelAdmin):
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
    ]
    fields = [*readonly_fields, "advocate"]
    inlines = [DeliveryInline, ReferralEventInline]
    actions = ["acknowledge", "accept", "requeue"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

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


@admin.register(DeliveryAttempt)
class DeliveryAttemptAdmin(admin.ModelAdmin):
    list_display = ["delivery", "at", "succeeded", "status_code", "latency_ms", "error"]
    list_filter = ["succeeded"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# Caseloads, memberships, and the referrals admin scoped to each viewer (issue 5).
from referrals import case_admin  # noqa: E402, F401
