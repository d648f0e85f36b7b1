"""Data entry for decisions, budgets and grants (the staff site).

Model ``clean`` methods carry the rules (delegated limit, nothing outside the
grant period); the profile inline adds the one rule across rows (the profile
sums to the award). Payments, variations and return reviews are recorded
through the services so that each writes its event row.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest

from grants import services
from grants.models import (
    ZERO,
    BudgetLine,
    BudgetLineYear,
    Decision,
    DecisionFunding,
    FundingSource,
    Grant,
    GrantEvent,
    GrantProfileYear,
    MonitoringReturn,
    MonitoringReturnActual,
    OutcomeMeasure,
    OutcomeTarget,
    Payment,
    PlannedPayment,
    ReturnSubmitter,
    Variation,
)


class DecisionFundingInline(admin.TabularInline):
    model = DecisionFunding
    extra = 0


class BudgetLineInline(admin.TabularInline):
    model = BudgetLine
    extra = 0
    show_change_link = True
    fields = ["name", "amount", "first_financial_year", "last_financial_year", "funding_source"]


@admin.register(Decision)
class DecisionAdmin(admin.ModelAdmin):
    list_display = ["reference", "title", "body", "decided_on", "level", "publication"]
    list_filter = ["level", "publication", "body"]
    search_fields = ["reference", "title"]
    inlines = [DecisionFundingInline, BudgetLineInline]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(FundingSource)
class FundingSourceAdmin(admin.ModelAdmin):
    list_display = ["name", "funder"]
    prepopulated_fields = {"slug": ["name"]}


class BudgetLineYearFormSet(forms.BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        line: BudgetLine = self.instance
        total = sum(
            (
                form.cleaned_data.get("amount") or ZERO
                for form in self.forms
                if form.cleaned_data and not form.cleaned_data.get("DELETE")
            ),
            ZERO,
        )
        if line.amount is not None and total > line.amount:
            raise ValidationError(
                f"The years add up to £{total:,.2f}, more than the line's £{line.amount:,.2f}."
            )


class BudgetLineYearInline(admin.TabularInline):
    model = BudgetLineYear
    formset = BudgetLineYearFormSet
    extra = 0


@admin.register(BudgetLine)
class BudgetLineAdmin(admin.ModelAdmin):
    list_display = ["name", "decision", "amount", "first_financial_year", "last_financial_year"]
    list_filter = ["decision"]
    inlines = [BudgetLineYearInline]


class GrantProfileFormSet(forms.BaseInlineFormSet):
    """The profile must sum to the award (when the award is known)."""

    def clean(self) -> None:
        super().clean()
        grant: Grant = self.instance
        amounts: dict[int, Decimal] = {}
        for form in self.forms:
            data = form.cleaned_data
            if not data or data.get("DELETE"):
                continue
            amounts[data["financial_year"]] = data["amount"]
        if not amounts:
            return
        problems = services.profile_problems(grant=grant, amounts=amounts)
        if problems:
            raise ValidationError(problems)


class GrantProfileInline(admin.TabularInline):
    model = GrantProfileYear
    formset = GrantProfileFormSet
    extra = 0


class PlannedPaymentInline(admin.TabularInline):
    model = PlannedPayment
    extra = 0


class PaymentInline(admin.TabularInline):
    model = Payment
    extra = 0
    fields = readonly_fields = ("paid_on", "financial_year", "amount", "reference", "note")
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class VariationInline(admin.TabularInline):
    model = Variation
    extra = 0
    fields = readonly_fields = (
        "decision",
        "kind",
        "previous_end_date",
        "new_end_date",
        "new_amount",
        "description",
    )
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class OutcomeMeasureInline(admin.TabularInline):
    model = OutcomeMeasure
    extra = 0
    show_change_link = True
    fields = ["name", "unit", "method", "computation", "strand", "area", "order"]


@admin.register(Grant)
class GrantAdmin(admin.ModelAdmin):
    list_display = ["reference", "title", "provider", "decision", "amount_awarded", "status"]
    list_filter = ["status", "award_route", "provider"]
    search_fields = ["reference", "title", "provider__name"]
    inlines = [
        GrantProfileInline,
        PlannedPaymentInline,
        OutcomeMeasureInline,
        PaymentInline,
        VariationInline,
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Grant]:
        return super().get_queryset(request).select_related("provider", "decision")

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        # Returns follow the grant period, whoever edits the dates.
        services.monitoring_returns_schedule(grant=form.instance)
        changed = list(form.changed_data)
        for formset in formsets:
            if formset.has_changed():
                changed.append(formset.prefix)
        services.grant_edit_record(
            grant=form.instance, changed=changed, created=not change, acting_user=request.user
        )


class PaymentForm(forms.ModelForm):
    class Meta:
        model = Payment
        fields = ["grant", "paid_on", "financial_year", "amount", "reference", "note"]


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    form = PaymentForm
    list_display = ["grant", "paid_on", "financial_year", "amount", "reference"]
    list_filter = ["financial_year"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Payment, form: Any, change: bool) -> None:
        saved = services.payment_record(
            grant=obj.grant,
            paid_on=obj.paid_on,
            financial_year=obj.financial_year,
            amount=obj.amount,
            reference=obj.reference,
            note=obj.note,
            acting_user=request.user,
        )
        obj.pk = saved.pk


class OutcomeTargetInline(admin.TabularInline):
    model = OutcomeTarget
    extra = 0


@admin.register(OutcomeMeasure)
class OutcomeMeasureAdmin(admin.ModelAdmin):
    list_display = ["name", "grant", "method", "computation"]
    list_filter = ["method"]
    inlines = [OutcomeTargetInline]


class MonitoringReturnActualInline(admin.TabularInline):
    model = MonitoringReturnActual
    extra = 0
    readonly_fields = ["measure", "value"]
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(MonitoringReturn)
class MonitoringReturnAdmin(admin.ModelAdmin):
    list_display = ["grant", "label", "due_on", "status", "submitted_at", "reviewed_at"]
    list_filter = ["status", "financial_year"]
    readonly_fields = [
        "grant",
        "financial_year",
        "quarter",
        "period_start",
        "period_end",
        "due_on",
        "status",
        "spend",
        "narrative",
        "risks",
        "submitted_at",
        "submitted_by",
        "reviewed_at",
        "reviewed_by",
        "review_comment",
    ]
    inlines = [MonitoringReturnActualInline]
    actions = ["accept"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Accept the selected submitted returns")
    def accept(self, request: HttpRequest, queryset: QuerySet[MonitoringReturn]) -> None:
        accepted = 0
        for monitoring_return in queryset.filter(status=MonitoringReturn.Status.SUBMITTED):
            services.monitoring_return_accept(
                monitoring_return=monitoring_return, acting_user=request.user
            )
            accepted += 1
        self.message_user(request, f"{accepted} returns accepted.", messages.SUCCESS)


@admin.register(GrantEvent)
class GrantEventAdmin(admin.ModelAdmin):
    list_display = ["grant", "kind", "at", "acting_user"]
    list_filter = ["kind"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ReturnSubmitter)
class ReturnSubmitterAdmin(admin.ModelAdmin):
    list_display = ["user", "provider"]
