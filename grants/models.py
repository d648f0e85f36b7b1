"""Funding decisions, grants to providers, their money and their outcomes.

Money is ``Decimal`` in ``DecimalField(max_digits=14, decimal_places=2)``:
pence-exact, never a float. Financial years are named by the calendar year
they start in (``2017`` is 2017/18); see ``grants.financial_years``.

Validation lives on the models' ``clean`` methods so that the admin's forms
and the services (which call ``full_clean``) enforce the same rules.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Sum
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from grants.financial_years import financial_year_label, financial_years_between
from referrals.models import Provider
from reports.models import Area, Strand

ZERO = Decimal("0.00")
FINANCIAL_YEAR_VALIDATORS = [MinValueValidator(1990), MaxValueValidator(2100)]


def money_validators() -> list[MinValueValidator]:
    return [MinValueValidator(ZERO)]


class Decision(models.Model):
    """A recorded funding decision (e.g. MOPAC's "PCD 41")."""

    class Level(models.TextChoices):
        PRINCIPAL = "principal", _("Commissioner or deputy mayor")
        DELEGATED = "delegated", _("Officer under delegated authority")

    class Publication(models.TextChoices):
        PUBLISHED = "published", _("Part 1 published")
        DEFERRED = "deferred", _("Publication deferred")
        CONFIDENTIAL = "confidential", _("Confidential (not published)")

    class DatePrecision(models.TextChoices):
        DAY = "day", _("Day")
        MONTH = "month", _("Month only")

    reference = models.CharField(max_length=50, unique=True, help_text=_('e.g. "PCD 41"'))
    title = models.CharField(max_length=300)
    body = models.CharField(
        max_length=200, help_text=_("The commissioning body, e.g. the Mayor's Office for Policing")
    )
    funder_identifier = models.CharField(
        max_length=100,
        blank=True,
        help_text=_("The body's organisation identifier for open data (360Giving)"),
    )
    decision_maker = models.CharField(max_length=200)
    level = models.CharField(max_length=20, choices=Level.choices, default=Level.PRINCIPAL)
    approval_route = models.CharField(max_length=300, blank=True)
    decided_on = models.DateField(
        null=True, blank=True, help_text=_("Leave empty if the record does not give the date")
    )
    decided_on_precision = models.CharField(
        max_length=10, choices=DatePrecision.choices, default=DatePrecision.DAY
    )
    officer_approved_on = models.DateField(null=True, blank=True)
    publication = models.CharField(
        max_length=20, choices=Publication.choices, default=Publication.PUBLISHED
    )
    publication_deferred_until = models.DateField(null=True, blank=True)
    has_part_2 = models.BooleanField(
        default=False, help_text=_("A confidential Part 2 form exists (not held here)")
    )
    summary = models.TextField(blank=True)
    recommendations = models.TextField(blank=True, help_text=_("One recommendation per line"))
    source_url = models.URLField(blank=True)

    class Meta:
        ordering = ["decided_on", "reference"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(publication="deferred")
                | models.Q(publication_deferred_until__isnull=False),
                name="decision_deferral_has_date",
            )
        ]

    def __str__(self) -> str:
        return f"{self.reference}: {self.title}"

    def clean(self) -> None:
        if self.publication == self.Publication.DEFERRED and not self.publication_deferred_until:
            raise ValidationError(
                {"publication_deferred_until": _("Give the date publication is deferred until.")}
            )

    def recommendation_list(self) -> list[str]:
        return [line.strip() for line in self.recommendations.splitlines() if line.strip()]

    def is_public_on(self, day: dt.date) -> bool:
        """Whether Part 1 may be published (in open data) on ``day``."""
        if self.publication == self.Publication.PUBLISHED:
            return True
        if self.publication == self.Publication.DEFERRED:
            return (
                self.publication_deferred_until is not None
                and day >= self.publication_deferred_until
            )
        return False


class FundingSource(models.Model):
    """Where money comes from: a government grant, a PCC's own budget."""

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(unique=True)
    funder = models.CharField(max_length=200, blank=True, help_text=_("e.g. Ministry of Justice"))
    conditions = models.TextField(
        blank=True, help_text=_("e.g. must be spent by 31 March of the year it is granted for")
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class DecisionFunding(models.Model):
    """How much of a decision's total comes from each funding source."""

    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="funding")
    funding_source = models.ForeignKey(FundingSource, on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(max_digits=14, decimal_places=2, validators=money_validators())
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["decision", "-amount"]
        constraints = [
            models.UniqueConstraint(
                fields=["decision", "funding_source"], name="decision_funding_unique_source"
            )
        ]

    def __str__(self) -> str:
        return f"{self.decision.reference}: {self.funding_source} £{self.amount}"


class BudgetLine(models.Model):
    """A programme budget line a decision approves (PCD 174 has five)."""

    decision = models.ForeignKey(Decision, on_delete=models.PROTECT, related_name="budget_lines")
    name = models.CharField(max_length=200)
    amount = models.DecimalField(max_digits=14, decimal_places=2, validators=money_validators())
    first_financial_year = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=FINANCIAL_YEAR_VALIDATORS
    )
    last_financial_year = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=FINANCIAL_YEAR_VALIDATORS
    )
    funding_source = models.ForeignKey(
        FundingSource, null=True, blank=True, on_delete=models.PROTECT, related_name="budget_lines"
    )
    delivered_by = models.CharField(
        max_length=200, blank=True, help_text=_("Who delivers it when it is not a grant")
    )
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["decision__decided_on", "decision__reference", "order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["decision", "name"], name="budget_line_unique_name")
        ]

    def __str__(self) -> str:
        return f"{self.decision.reference}: {self.name}"

    def clean(self) -> None:
        first, last = self.first_financial_year, self.last_financial_year
        if (first is None) != (last is None):
            raise ValidationError(_("Give both the first and last financial year, or neither."))
        if first is not None and last is not None and last < first:
            raise ValidationError(
                {"last_financial_year": _("The last year cannot be before the first.")}
            )

    def financial_years(self) -> list[int]:
        if self.first_financial_year is None or self.last_financial_year is None:
            return []
        return list(range(self.first_financial_year, self.last_financial_year + 1))

    def period_label(self) -> str:
        years = self.financial_years()
        if not years:
            return str(_("Years not stated"))
        if len(years) == 1:
            return financial_year_label(years[0])
        return f"{financial_year_label(years[0])} to {financial_year_label(years[-1])}"


class BudgetLineYear(models.Model):
    """A budget line's amount in one financial year, where the decision gives it."""

    budget_line = models.ForeignKey(BudgetLine, on_delete=models.CASCADE, related_name="years")
    financial_year = models.PositiveSmallIntegerField(validators=FINANCIAL_YEAR_VALIDATORS)
    amount = models.DecimalField(max_digits=14, decimal_places=2, validators=money_validators())

    class Meta:
        ordering = ["budget_line", "financial_year"]
        constraints = [
            models.UniqueConstraint(
                fields=["budget_line", "financial_year"], name="budget_line_year_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.budget_line}: {financial_year_label(self.financial_year)}"

    def clean(self) -> None:
        if self.budget_line_id is None:
            return
        years = self.budget_line.financial_years()
        if years and self.financial_year not in years:
            raise ValidationError(
                {"financial_year": _("This year is outside the budget line's years.")}
            )


class GrantQuerySet(models.QuerySet["Grant"]):
    def with_related(self) -> GrantQuerySet:
        return self.select_related(
            "provider", "decision", "budget_line", "budget_line__decision", "funding_source"
        )


class Grant(models.Model):
    """A grant or contract to a provider."""

    class AwardRoute(models.TextChoices):
        DIRECT_AWARD = "direct_award", _("Direct award")
        COMPETITIVE_GRANT = "competitive_grant", _("Competitive grant")
        CONTRACT = "contract", _("Contract")
        EXTENSION = "extension", _("Extension")

    class PaymentTerms(models.TextChoices):
        IN_ARREARS = "in_arrears", _("In arrears")
        IN_ADVANCE = "in_advance", _("In advance")
        TRANCHES = "tranches", _("In tranches")

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        ACTIVE = "active", _("Active")
        CLOSED = "closed", _("Closed")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    reference = models.SlugField(max_length=60, unique=True)
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="grants")
    decision = models.ForeignKey(
        Decision,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="grants",
        help_text=_("The decision that approved the award (empty if not held)"),
    )
    budget_line = models.ForeignKey(
        BudgetLine, null=True, blank=True, on_delete=models.PROTECT, related_name="grants"
    )
    funding_source = models.ForeignKey(
        FundingSource, null=True, blank=True, on_delete=models.PROTECT, related_name="grants"
    )
    award_route = models.CharField(max_length=30, choices=AwardRoute.choices)
    amount_awarded = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=money_validators(),
        help_text=_("Empty when the decision does not publish the amount"),
    )
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    payment_terms = models.CharField(max_length=20, choices=PaymentTerms.choices, blank=True)
    payment_terms_note = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    notes = models.TextField(blank=True, help_text=_("What the records do and do not say"))
    updated_at = models.DateTimeField(auto_now=True)

    objects = GrantQuerySet.as_manager()

    class Meta:
        ordering = ["reference"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True)
                | models.Q(start_date__isnull=True)
                | models.Q(end_date__gte=models.F("start_date")),
                name="grant_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.reference}: {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("grants:grant", kwargs={"reference": self.reference})

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.start_date and self.end_date and self.end_date < self.start_date:
            errors["end_date"] = str(_("The grant cannot end before it starts."))
        problem = delegation_problem(amount=self.amount_awarded, decision=self.decision)
        if problem:
            errors["decision"] = problem
        if errors:
            raise ValidationError(errors)

    def financial_years(self) -> list[int]:
        if not (self.start_date and self.end_date):
            return []
        return financial_years_between(self.start_date, self.end_date)

    def covers(self, day: dt.date) -> bool:
        return bool(self.start_date and self.end_date and self.start_date <= day <= self.end_date)


def delegation_problem(*, amount: Decimal | None, decision: Decision | None) -> str:
    """Why an award of ``amount`` under ``decision`` breaks the scheme of delegation.

    An officer may sign awards up to GRANTS_DELEGATED_LIMIT; above it the
    commissioner (or deputy mayor) must take the decision themselves.
    """
    limit = Decimal(settings.GRANTS_DELEGATED_LIMIT)
    if amount is None or amount <= limit:
        return ""
    if decision is None or decision.level != Decision.Level.PRINCIPAL:
        return str(
            _(
                "An award above £%(limit)s needs a decision by the commissioner or deputy mayor, "
                "not under delegation."
            )
            % {"limit": f"{limit:,.0f}"}
        )
    return ""


class GrantProfileYear(models.Model):
    """How much of a grant is planned for one financial year."""

    grant = models.ForeignKey(Grant, on_delete=models.CASCADE, related_name="profile")
    financial_year = models.PositiveSmallIntegerField(validators=FINANCIAL_YEAR_VALIDATORS)
    amount = models.DecimalField(max_digits=14, decimal_places=2, validators=money_validators())

    class Meta:
        ordering = ["grant", "financial_year"]
        constraints = [
            models.UniqueConstraint(
                fields=["grant", "financial_year"], name="grant_profile_year_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.grant.reference} {financial_year_label(self.financial_year)}"

    def clean(self) -> None:
        if self.grant_id is None:
            return
        years = self.grant.financial_years()
        if years and self.financial_year not in years:
            raise ValidationError(
                {"financial_year": _("No money can be profiled outside the grant period.")}
            )


class Payment(models.Model):
    """Money paid to the provider under a grant, against one financial year."""

    grant = models.ForeignKey(Grant, on_delete=models.PROTECT, related_name="payments")
    paid_on = models.DateField()
    financial_year = models.PositiveSmallIntegerField(
        validators=FINANCIAL_YEAR_VALIDATORS,
        help_text=_("The year whose profiled spend this pays for (in arrears may be later)"),
    )
    amount = models.DecimalField(
        max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    reference = models.CharField(max_length=100, blank=True)
    note = models.CharField(max_length=300, blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["grant", "paid_on", "id"]

    def __str__(self) -> str:
        return f"{self.grant.reference} £{self.amount} on {self.paid_on}"

    def clean(self) -> None:
        if self.grant_id is None or self.financial_year is None or self.paid_on is None:
            return  # the form reports the missing field
        grant = self.grant
        if not (grant.start_date and grant.end_date):
            raise ValidationError(_("Record the grant's start and end dates before any payment."))
        if self.financial_year not in grant.financial_years():
            raise ValidationError(
                {"financial_year": _("No spend can be recorded outside the grant period.")}
            )
        if self.paid_on < grant.start_date:
            raise ValidationError(
                {"paid_on": _("A payment cannot be made before the grant starts.")}
            )
        profiled = (
            grant.profile.filter(financial_year=self.financial_year).aggregate(t=Sum("amount"))["t"]
            or ZERO
        )
        already = (
            grant.payments.filter(financial_year=self.financial_year)
            .exclude(pk=self.pk)
            .aggregate(t=Sum("amount"))["t"]
            or ZERO
        )
        if already + (self.amount or ZERO) > profiled:
            raise ValidationError(
                {
                    "amount": _(
                        "Payments for %(year)s would be £%(total)s, more than the £%(profiled)s "
                        "profiled for that year."
                    )
                    % {
                        "year": financial_year_label(self.financial_year),
                        "total": already + (self.amount or ZERO),
                        "profiled": profiled,
                    }
                }
            )


class PlannedPayment(models.Model):
    """A payment the terms schedule (e.g. "in two tranches, November 2016 and June 2017")."""

    grant = models.ForeignKey(Grant, on_delete=models.CASCADE, related_name="planned_payments")
    due_on = models.DateField(help_text=_("The first of the month when only the month is agreed"))
    amount = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=money_validators(),
        help_text=_("Empty when the terms give no amount (e.g. in arrears, as spent)"),
    )
    description = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["grant", "due_on"]

    def __str__(self) -> str:
        return f"{self.grant.reference}: {self.description or self.due_on}"

    def clean(self) -> None:
        if self.grant_id is None or self.due_on is None:
            return
        start = self.grant.start_date
        if start and self.due_on < start.replace(day=1):
            raise ValidationError({"due_on": _("A payment cannot be due before the grant starts.")})


class Variation(models.Model):
    """A change to a grant (an extension, a change of amount) under its own decision."""

    class Kind(models.TextChoices):
        EXTENSION = "extension", _("Extension")
        AMOUNT = "amount", _("Change of amount")
        OTHER = "other", _("Other variation")

    grant = models.ForeignKey(Grant, on_delete=models.PROTECT, related_name="variations")
    decision = models.ForeignKey(Decision, on_delete=models.PROTECT, related_name="variations")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    description = models.TextField(blank=True)
    previous_end_date = models.DateField(null=True, blank=True)
    new_end_date = models.DateField(null=True, blank=True)
    previous_amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    new_amount = models.DecimalField(
        max_digits=14, decimal_places=2, null=True, blank=True, validators=money_validators()
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["grant", "recorded_at", "id"]

    def __str__(self) -> str:
        return f"{self.grant.reference}: {self.get_kind_display()} ({self.decision.reference})"


class GrantEvent(models.Model):
    """What happened to a grant, by whom: the grant's audit trail."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Grant recorded")
        EDITED = "edited", _("Grant edited on the staff site")
        PROFILE_SET = "profile_set", _("Profile set")
        PAYMENT_RECORDED = "payment_recorded", _("Payment recorded")
        VARIED = "varied", _("Variation recorded")
        RETURN_SUBMITTED = "return_submitted", _("Monitoring return submitted")
        RETURN_ACCEPTED = "return_accepted", _("Monitoring return accepted")
        RETURN_CHANGES_REQUESTED = "return_changes_requested", _("Changes requested to a return")
        MEASURE_ADDED = "measure_added", _("Outcome measure added")

    grant = models.ForeignKey(Grant, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=40, choices=Kind.choices)
    at = models.DateTimeField()
    acting_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["grant", "at", "id"]

    def __str__(self) -> str:
        return f"{self.grant.reference}: {self.kind} at {self.at:%Y-%m-%d %H:%M}"


class OutcomeMeasure(models.Model):
    """Something a grant is meant to achieve, with targets per period."""

    class Method(models.TextChoices):
        PROVIDER_REPORTED = "provider_reported", _("Reported by the provider")
        COMPUTED = "computed", _("Computed from our data")

    class Computation(models.TextChoices):
        # See grants.computed for each definition.
        REPORTS_RECEIVED = "reports_received", _("Reports received")
        REPEAT_VICTIM_REPORTS = "repeat_victim_reports", _("Reports from repeat victims")
        REFERRALS_RECEIVED = "referrals_received", _("Referrals received")
        REFERRALS_ACCEPTED = "referrals_accepted", _("Referrals accepted")
        CONTACTED_IN_TIME = "contacted_in_time", _("Victims contacted within the deadline")
        VICTIMS_SUPPORTED = "victims_supported", _("Victims supported")
        COPE_RECOVER_IMPROVED = "cope_recover_improved", _("Cope and recover measures improved")
        REPEAT_VICTIMS_SUPPORTED = "repeat_victims_supported", _("Repeat victims supported")
        FEEDBACK_SATISFIED = "feedback_satisfied", _("Victims satisfied with the service")
        FEEDBACK_SAFER = "feedback_safer", _("Victims feeling safer")
        FEEDBACK_CONFIDENT = "feedback_confident", _("Victims confident to report again")

    grant = models.ForeignKey(Grant, on_delete=models.CASCADE, related_name="measures")
    name = models.CharField(max_length=200)
    unit = models.CharField(max_length=50, default="people")
    method = models.CharField(max_length=20, choices=Method.choices)
    computation = models.CharField(
        max_length=40, choices=Computation.choices, blank=True, help_text=_("For computed measures")
    )
    strand = models.ForeignKey(
        Strand, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    area = models.ForeignKey(
        Area, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["grant", "order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["grant", "name"], name="outcome_measure_unique_name"),
            models.CheckConstraint(
                condition=models.Q(method="provider_reported", computation="")
                | (models.Q(method="computed") & ~models.Q(computation="")),
                name="outcome_measure_computation_iff_computed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.grant.reference}: {self.name}"

    def clean(self) -> None:
        if self.method == self.Method.COMPUTED and not self.computation:
            raise ValidationError({"computation": _("Choose how the measure is computed.")})
        if self.method == self.Method.PROVIDER_REPORTED and self.computation:
            raise ValidationError(
                {"computation": _("A provider-reported measure is not computed.")}
            )


class OutcomeTarget(models.Model):
    """A measure's target for one quarter of a financial year."""

    measure = models.ForeignKey(OutcomeMeasure, on_delete=models.CASCADE, related_name="targets")
    financial_year = models.PositiveSmallIntegerField(validators=FINANCIAL_YEAR_VALIDATORS)
    quarter = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(4)]
    )
    target = models.DecimalField(max_digits=12, decimal_places=2, validators=money_validators())

    class Meta:
        ordering = ["measure", "financial_year", "quarter"]
        constraints = [
            models.UniqueConstraint(
                fields=["measure", "financial_year", "quarter"], name="outcome_target_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.measure}: {financial_year_label(self.financial_year)} Q{self.quarter}"


class MonitoringReturnQuerySet(models.QuerySet["MonitoringReturn"]):
    def overdue_on(self, day: dt.date) -> MonitoringReturnQuerySet:
        return self.filter(
            due_on__lt=day,
            status__in=[MonitoringReturn.Status.DUE, MonitoringReturn.Status.CHANGES_REQUESTED],
        )


class MonitoringReturn(models.Model):
    """A provider's quarterly return for a grant: actuals, spend, narrative, risks."""

    class Status(models.TextChoices):
        DUE = "due", _("Not yet submitted")
        SUBMITTED = "submitted", _("Submitted, awaiting review")
        CHANGES_REQUESTED = "changes_requested", _("Changes requested")
        ACCEPTED = "accepted", _("Accepted")

    grant = models.ForeignKey(Grant, on_delete=models.CASCADE, related_name="returns")
    financial_year = models.PositiveSmallIntegerField(validators=FINANCIAL_YEAR_VALIDATORS)
    quarter = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(4)]
    )
    period_start = models.DateField()
    period_end = models.DateField()
    due_on = models.DateField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DUE)
    spend = models.DecimalField(
        max_digits=14, decimal_places=2, null=True, blank=True, validators=money_validators()
    )
    narrative = models.TextField(blank=True)
    risks = models.TextField(blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    review_comment = models.TextField(blank=True)

    objects = MonitoringReturnQuerySet.as_manager()

    class Meta:
        ordering = ["grant", "financial_year", "quarter"]
        constraints = [
            models.UniqueConstraint(
                fields=["grant", "financial_year", "quarter"], name="monitoring_return_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.grant.reference} {self.label}"

    @property
    def label(self) -> str:
        return f"{financial_year_label(self.financial_year)} Q{self.quarter}"

    def is_overdue(self, today: dt.date) -> bool:
        return self.status in (self.Status.DUE, self.Status.CHANGES_REQUESTED) and (
            today > self.due_on
        )


class MonitoringReturnActual(models.Model):
    """What the provider reports for one measure in one return."""

    monitoring_return = models.ForeignKey(
        MonitoringReturn, on_delete=models.CASCADE, related_name="actuals"
    )
    measure = models.ForeignKey(OutcomeMeasure, on_delete=models.CASCADE, related_name="actuals")
    value = models.DecimalField(max_digits=12, decimal_places=2, validators=money_validators())

    class Meta:
        ordering = ["monitoring_return", "measure"]
        constraints = [
            models.UniqueConstraint(
                fields=["monitoring_return", "measure"], name="monitoring_return_actual_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.monitoring_return}: {self.measure.name} = {self.value}"


class ReturnSubmitter(models.Model):
    """A provider's staff member who may submit its grants' monitoring returns.

    Interim: provider staff membership belongs in referrals (the provider
    manager role); until it exists, grants keeps this list of its own.
    """

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "user"], name="return_submitter_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} for {self.provider}"
