"""Every change to grants data: keyword-only, typed, atomic, with an event row.

Validation rules live on the models' ``clean`` methods (shared with the
admin); these functions call ``full_clean`` and add the rules that span
several rows (a profile summing to its award, a variation's knock-on effects).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from grants.financial_years import financial_year_label, quarter_bounds, quarters_between
from grants.models import (
    ZERO,
    BudgetLine,
    Decision,
    FundingSource,
    Grant,
    GrantEvent,
    GrantProfileYear,
    MonitoringReturn,
    MonitoringReturnActual,
    OutcomeMeasure,
    OutcomeTarget,
    Payment,
    Variation,
    delegation_problem,
)
from referrals.models import Provider
from reports.models import Area, Strand

User = AbstractBaseUser | AnonymousUser


def _actor(user: User | None) -> Any:
    return user if user is not None and user.is_authenticated else None


def _event(
    *, grant: Grant, kind: str, acting_user: User | None, data: dict[str, Any] | None = None
) -> None:
    GrantEvent.objects.create(
        grant=grant, kind=kind, at=timezone.now(), acting_user=_actor(acting_user), data=data or {}
    )


def profile_problems(*, grant: Grant, amounts: Mapping[int, Decimal]) -> list[str]:
    """What is wrong with a proposed profile for ``grant`` (empty if nothing)."""
    problems: list[str] = []
    years = grant.financial_years()
    for year, amount in sorted(amounts.items()):
        if amount < ZERO:
            problems.append(f"The amount for {financial_year_label(year)} cannot be negative.")
        if not years:
            problems.append("Record the grant's start and end dates before profiling it.")
            break
        if year not in years:
            problems.append(
                f"{financial_year_label(year)} is outside the grant period "
                f"({grant.start_date:%d %B %Y} to {grant.end_date:%d %B %Y}): no money can be "
                "profiled outside it."
            )
    total = sum(amounts.values(), ZERO)
    if grant.amount_awarded is not None and total != grant.amount_awarded:
        problems.append(
            f"The profile adds up to £{total:,.2f} but the award is £{grant.amount_awarded:,.2f}: "
            "the profile must sum to the award."
        )
    return problems


@transaction.atomic
def grant_create(
    *,
    reference: str,
    title: str,
    provider: Provider,
    award_route: str,
    amount_awarded: Decimal | None,
    start_date: dt.date | None,
    end_date: dt.date | None,
    profile: Mapping[int, Decimal] | None = None,
    decision: Decision | None = None,
    budget_line: BudgetLine | None = None,
    funding_source: FundingSource | None = None,
    payment_terms: str = "",
    payment_terms_note: str = "",
    description: str = "",
    notes: str = "",
    status: str = Grant.Status.ACTIVE,
    acting_user: User | None,
) -> Grant:
    grant = Grant(
        reference=reference,
        title=title,
        provider=provider,
        award_route=award_route,
        amount_awarded=amount_awarded,
        start_date=start_date,
        end_date=end_date,
        decision=decision,
        budget_line=budget_line,
        funding_source=funding_source,
        payment_terms=payment_terms,
        payment_terms_note=payment_terms_note,
        description=description,
        notes=notes,
        status=status,
    )
    grant.full_clean()
    grant.save()
    _event(
        grant=grant,
        kind=GrantEvent.Kind.CREATED,
        acting_user=acting_user,
        data={"amount_awarded": str(amount_awarded) if amount_awarded is not None else None},
    )
    if profile is not None:
        grant_profile_set(grant=grant, amounts=profile, acting_user=acting_user)
    monitoring_returns_schedule(grant=grant)
    return grant


def grant_edit_record(
    *, grant: Grant, changed: list[str], created: bool, acting_user: User | None
) -> None:
    """Record a grant added or edited through the staff site's grant form."""
    if created or changed:
        _event(
            grant=grant,
            kind=GrantEvent.Kind.CREATED if created else GrantEvent.Kind.EDITED,
            acting_user=acting_user,
            data={"changed": sorted(changed)},
        )


@transaction.atomic
def grant_profile_set(
    *, grant: Grant, amounts: Mapping[int, Decimal], acting_user: User | None
) -> None:
    """Replace the grant's profile; it must sum to the award and fit the period."""
    problems = profile_problems(grant=grant, amounts=amounts)
    if problems:
        raise ValidationError(problems)
    paid = {
        row["financial_year"]: row["total"]
        for row in grant.payments.values("financial_year").annotate(total=Sum("amount"))
    }
    for year, total in paid.items():
        if total > amounts.get(year, ZERO):
            raise ValidationError(
                f"£{total:,.2f} has already been paid for {financial_year_label(year)}; "
                "the profile for that year cannot be less."
            )
    grant.profile.all().delete()
    GrantProfileYear.objects.bulk_create(
        GrantProfileYear(grant=grant, financial_year=year, amount=amount)
        for year, amount in sorted(amounts.items())
    )
    _event(
        grant=grant,
        kind=GrantEvent.Kind.PROFILE_SET,
        acting_user=acting_user,
        data={financial_year_label(y): str(a) for y, a in sorted(amounts.items())},
    )


@transaction.atomic
def payment_record(
    *,
    grant: Grant,
    paid_on: dt.date,
    financial_year: int,
    amount: Decimal,
    reference: str = "",
    note: str = "",
    acting_user: User | None,
) -> Payment:
    # Lock the grant so two payments recorded at once cannot both fit under
    # the year's profile and together exceed it.
    grant = Grant.objects.select_for_update().get(pk=grant.pk)
    payment = Payment(
        grant=grant,
        paid_on=paid_on,
        financial_year=financial_year,
        amount=amount,
        reference=reference,
        note=note,
    )
    payment.full_clean()
    payment.save()
    _event(
        grant=grant,
        kind=GrantEvent.Kind.PAYMENT_RECORDED,
        acting_user=acting_user,
        data={"paid_on": paid_on.isoformat(), "year": financial_year, "amount": str(amount)},
    )
    return payment


@transaction.atomic
def variation_record(
    *,
    grant: Grant,
    decision: Decision,
    kind: str,
    description: str = "",
    new_end_date: dt.date | None = None,
    new_amount: Decimal | None = None,
    profile: Mapping[int, Decimal] | None = None,
    acting_user: User | None,
) -> Variation:
    """Record a variation under its own decision and apply it to the grant.

    A change of amount is an award in its own right for the scheme of
    delegation: above the limit, the variation's decision must be taken at
    the higher level.
    """
    grant = Grant.objects.select_for_update().get(pk=grant.pk)
    if new_end_date is None and new_amount is None and kind != Variation.Kind.OTHER:
        raise ValidationError("A variation must change the end date or the amount.")
    if new_end_date is not None and grant.start_date and new_end_date < grant.start_date:
        raise ValidationError("The grant cannot end before it starts.")
    if new_amount is not None:
        problem = delegation_problem(amount=new_amount, decision=decision)
        if problem:
            raise ValidationError(problem)
    variation = Variation(
        grant=grant,
        decision=decision,
        kind=kind,
        description=description,
        previous_end_date=grant.end_date,
        new_end_date=new_end_date,
        previous_amount=grant.amount_awarded,
        new_amount=new_amount,
    )
    variation.full_clean()
    variation.save()
    if new_end_date is not None:
        grant.end_date = new_end_date
    if new_amount is not None:
        grant.amount_awarded = new_amount
    years = grant.financial_years()
    outside = grant.payments.exclude(financial_year__in=years) if years else grant.payments.none()
    if outside.exists():
        raise ValidationError("Payments already recorded would fall outside the new grant period.")
    grant.save()
    if profile is not None:
        grant_profile_set(grant=grant, amounts=profile, acting_user=acting_user)
    elif grant.profile.exists():
        current = {p.financial_year: p.amount for p in grant.profile.all()}
        problems = profile_problems(grant=grant, amounts=current)
        if problems:
            raise ValidationError(["Give a new profile with this variation.", *problems])
    # Returns for quarters now outside the period and never submitted go.
    grant.returns.filter(status=MonitoringReturn.Status.DUE).exclude(
        period_start__lte=grant.end_date or dt.date.max
    ).delete()
    monitoring_returns_schedule(grant=grant)
    _event(
        grant=grant,
        kind=GrantEvent.Kind.VARIED,
        acting_user=acting_user,
        data={
            "decision": decision.reference,
            "kind": kind,
            "new_end_date": new_end_date.isoformat() if new_end_date else None,
            "new_amount": str(new_amount) if new_amount is not None else None,
        },
    )
    return variation


@transaction.atomic
def outcome_measure_add(
    *,
    grant: Grant,
    name: str,
    method: str,
    unit: str = "people",
    computation: str = "",
    strand: Strand | None = None,
    area: Area | None = None,
    targets: Mapping[tuple[int, int], Decimal] | None = None,
    order: int = 0,
    acting_user: User | None,
) -> OutcomeMeasure:
    """Add an outcome measure with targets keyed by (financial year, quarter)."""
    measure = OutcomeMeasure(
        grant=grant,
        name=name,
        unit=unit,
        method=method,
        computation=computation,
        strand=strand,
        area=area,
        order=order,
    )
    measure.full_clean()
    measure.save()
    quarters = (
        set(quarters_between(grant.start_date, grant.end_date))
        if grant.start_date and grant.end_date
        else set()
    )
    for (year, quarter), target in sorted((targets or {}).items()):
        if (year, quarter) not in quarters:
            raise ValidationError(
                f"{financial_year_label(year)} Q{quarter} is outside the grant period."
            )
        OutcomeTarget.objects.create(
            measure=measure, financial_year=year, quarter=quarter, target=target
        )
    _event(
        grant=grant,
        kind=GrantEvent.Kind.MEASURE_ADDED,
        acting_user=acting_user,
        data={"name": name},
    )
    return measure


def monitoring_returns_schedule(*, grant: Grant) -> list[MonitoringReturn]:
    """Make sure a return exists for every quarter of the grant period (idempotent).

    Only for grants being managed (proposed or active): a closed grant's
    returns are whatever was held when it closed.
    """
    if not (grant.start_date and grant.end_date):
        return []
    if grant.status in (Grant.Status.CLOSED, Grant.Status.WITHDRAWN):
        return []
    due_after = dt.timedelta(days=settings.GRANTS_RETURN_DUE_DAYS)
    made = []
    for year, quarter in quarters_between(grant.start_date, grant.end_date):
        start, end = quarter_bounds(year, quarter)
        # A grant starting or ending mid-quarter reports on its part of it.
        bounds = {
            "period_start": max(start, grant.start_date),
            "period_end": min(end, grant.end_date),
            "due_on": min(end, grant.end_date) + due_after,
        }
        monitoring_return, created = MonitoringReturn.objects.get_or_create(
            grant=grant, financial_year=year, quarter=quarter, defaults=bounds
        )
        if not created and monitoring_return.status == MonitoringReturn.Status.DUE:
            # The period moved (an extension): an unsubmitted return follows it.
            changed = {k: v for k, v in bounds.items() if getattr(monitoring_return, k) != v}
            if changed:
                MonitoringReturn.objects.filter(pk=monitoring_return.pk).update(**changed)
                for key, value in changed.items():
                    setattr(monitoring_return, key, value)
        made.append(monitoring_return)
    return made


@transaction.atomic
def monitoring_return_submit(
    *,
    monitoring_return: MonitoringReturn,
    actuals: Mapping[OutcomeMeasure, Decimal],
    spend: Decimal,
    narrative: str,
    risks: str = "",
    acting_user: User | None,
    today: dt.date | None = None,
) -> MonitoringReturn:
    """The provider manager submits (or resubmits) a quarterly return."""
    today = today or timezone.localdate()
    locked = (
        MonitoringReturn.objects.select_for_update()
        .select_related("grant")
        .get(pk=monitoring_return.pk)
    )
    grant = locked.grant
    if locked.status not in (
        MonitoringReturn.Status.DUE,
        MonitoringReturn.Status.CHANGES_REQUESTED,
    ):
        raise ValidationError("This return has already been submitted.")
    if today <= locked.period_end:
        raise ValidationError("A return can be submitted once its quarter has ended.")
    if not (grant.covers(locked.period_start) and grant.covers(locked.period_end)):
        raise ValidationError("No spend can be recorded outside the grant period.")
    if spend < ZERO:
        raise ValidationError("Spend cannot be negative.")
    errors = []
    for measure, value in actuals.items():
        if measure.grant_id != grant.pk:
            errors.append(f"{measure.name} is not a measure of this grant.")
        elif measure.method != OutcomeMeasure.Method.PROVIDER_REPORTED:
            errors.append(f"{measure.name} is computed from our data, not reported.")
        elif value < 0:
            errors.append(f"{measure.name} cannot be negative.")
    missing = grant.measures.filter(method=OutcomeMeasure.Method.PROVIDER_REPORTED).exclude(
        pk__in=[m.pk for m in actuals]
    )
    errors.extend(f"Give a figure for {m.name}." for m in missing)
    if errors:
        raise ValidationError(errors)
    for measure, value in actuals.items():
        MonitoringReturnActual.objects.update_or_create(
            monitoring_return=locked, measure=measure, defaults={"value": value}
        )
    locked.spend = spend
    locked.narrative = narrative
    locked.risks = risks
    locked.status = MonitoringReturn.Status.SUBMITTED
    locked.submitted_at = timezone.now()
    locked.submitted_by = _actor(acting_user)
    locked.full_clean()
    locked.save()
    _event(
        grant=grant,
        kind=GrantEvent.Kind.RETURN_SUBMITTED,
        acting_user=acting_user,
        data={"return": locked.label, "spend": str(spend)},
    )
    return locked


def _review(
    *, monitoring_return: MonitoringReturn, status: str, comment: str, acting_user: User | None
) -> MonitoringReturn:
    # Claim the review with a conditional update: two officers reviewing at
    # once cannot both act on the same submission.
    changed = MonitoringReturn.objects.filter(
        pk=monitoring_return.pk, status=MonitoringReturn.Status.SUBMITTED
    ).update(
        status=status,
        reviewed_at=timezone.now(),
        reviewed_by=_actor(acting_user),
        review_comment=comment,
    )
    if changed != 1:
        raise ValidationError("Only a submitted return awaiting review can be reviewed.")
    monitoring_return.refresh_from_db()
    kind = (
        GrantEvent.Kind.RETURN_ACCEPTED
        if status == MonitoringReturn.Status.ACCEPTED
        else GrantEvent.Kind.RETURN_CHANGES_REQUESTED
    )
    _event(
        grant=monitoring_return.grant,
        kind=kind,
        acting_user=acting_user,
        data={"return": monitoring_return.label, "comment": comment},
    )
    return monitoring_return


@transaction.atomic
def monitoring_return_accept(
    *, monitoring_return: MonitoringReturn, comment: str = "", acting_user: User | None
) -> MonitoringReturn:
    return _review(
        monitoring_return=monitoring_return,
        status=MonitoringReturn.Status.ACCEPTED,
        comment=comment,
        acting_user=acting_user,
    )


@transaction.atomic
def monitoring_return_request_changes(
    *, monitoring_return: MonitoringReturn, comment: str, acting_user: User | None
) -> MonitoringReturn:
    if not comment.strip():
        raise ValidationError("Say what needs to change.")
    return _review(
        monitoring_return=monitoring_return,
        status=MonitoringReturn.Status.CHANGES_REQUESTED,
        comment=comment,
        acting_user=acting_user,
    )
