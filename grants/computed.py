"""Outcome measures computed from our own records rather than reported.

Each computation counts something in a period (dates inclusive, in the
service's time zone) for the grant's provider, optionally narrowed to one
strand and one area (of the report behind the referral). Every measure is
one SQL aggregate however many periods are asked for: one filtered
``COUNT(DISTINCT ...)`` per period.

The definitions (also shown to commissioning officers in docs/casework.md):

- reports received: reports submitted in the period (every provider's);
- reports from repeat victims: of those, victims' reports that are not their
  first (``repeat_victim_q``);
- referrals received: support referrals delivered to the provider's
  services in the period;
- referrals accepted: cases the provider opened in the period (a case is an
  accepted referral);
- victims contacted within the deadline: referrals whose first-contact
  deadline falls in the period and whose first contact came by it;
- victims supported: cases open at some time in the period in which the
  victim had been reached by the period's end;
- cope and recover improved: cases closed in the period whose five
  cope-and-recover scores at closure add up to more than at intake (cases
  without both are not counted);
- repeat victims supported: victims supported whose report is a repeat
  victim's;
- feedback (satisfied; feeling safer; confident to report again): victims
  whose feedback, given in the period about a case of the provider, was
  "satisfied" or "very satisfied"; "yes"; "yes".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from grants.models import OutcomeMeasure
from referrals.case_models import Case, VictimFeedback
from referrals.case_models import OutcomeMeasure as CaseOutcome
from referrals.models import Referral
from reports.models import Report, ReporterRole, YesNoUnsure

Period = tuple[dt.date, dt.date]


def london_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _between(field: str, start: dt.date, end: dt.date) -> Q:
    """``field`` (a datetime) falls on a day from ``start`` to ``end``, London time.

    A range of instants rather than a ``__date`` lookup, so indexes serve it.
    """
    return Q(
        **{
            f"{field}__gte": london_midnight(start),
            f"{field}__lt": london_midnight(end + dt.timedelta(days=1)),
        }
    )


def repeat_victim_q() -> Q:
    """A victim's own report that is not their first.

    Either they said it had happened before, or an earlier report by a victim
    carries the same contact email or phone. Contacts are compared by their
    keyed hashes (blind indexes), never in plain text.
    """
    earlier = Report.objects.filter(
        reporter_role=ReporterRole.VICTIM, submitted_at__lt=OuterRef("submitted_at")
    )
    same_email = earlier.filter(contact_email_index=OuterRef("contact_email_index"))
    same_phone = earlier.filter(contact_phone_index=OuterRef("contact_phone_index"))
    return Q(reporter_role=ReporterRole.VICTIM) & (
        Q(happened_before=YesNoUnsure.YES)
        | (~Q(contact_email_index="") & Exists(same_email))
        | (~Q(contact_phone_index="") & Exists(same_phone))
    )


@dataclass(frozen=True)
class Computation:
    """What to count: a queryset, the path from its rows to the report, and
    the period each row falls in."""

    rows: Callable[[OutcomeMeasure], QuerySet[Any]]
    report_path: str  # "" when the rows are reports
    in_period: Callable[[dt.date, dt.date], Q]


def _support_referrals(measure: OutcomeMeasure) -> QuerySet[Referral]:
    return Referral.objects.filter(
        kind=Referral.Kind.SUPPORT, service__provider=measure.grant.provider_id
    )


def _cases(measure: OutcomeMeasure) -> QuerySet[Case]:
    return Case.objects.filter(provider=measure.grant.provider_id)


def _supported_in(start: dt.date, end: dt.date) -> Q:
    after_end = london_midnight(end + dt.timedelta(days=1))
    return Q(
        opened_at__lt=after_end,
        referral__first_contact_at__lt=after_end,
    ) & (Q(closed_at__isnull=True) | Q(closed_at__gte=london_midnight(start)))


def _repeat_cases(measure: OutcomeMeasure) -> QuerySet[Case]:
    return _cases(measure).filter(
        referral__report__in=Report.objects.filter(repeat_victim_q()).values("pk")
    )


def _score(stage: str) -> Subquery:
    total = F("feeling_safer") + F("health_wellbeing") + F("coping_everyday") + F("informed")
    total = total + F("confidence_justice")
    return Subquery(
        CaseOutcome.objects.filter(case=OuterRef("pk"), stage=stage)
        .annotate(total=total)
        .values("total")[:1],
        output_field=IntegerField(),
    )


def _improved_cases(measure: OutcomeMeasure) -> QuerySet[Case]:
    return (
        _cases(measure)
        .annotate(
            intake_score=_score(CaseOutcome.Stage.INTAKE),
            closure_score=_score(CaseOutcome.Stage.CLOSURE),
        )
        .filter(closure_score__gt=Coalesce("intake_score", 99))
    )


def _feedback(**answer: object) -> Callable[[OutcomeMeasure], QuerySet[VictimFeedback]]:
    def rows(measure: OutcomeMeasure) -> QuerySet[VictimFeedback]:
        return VictimFeedback.objects.filter(
            case__provider=measure.grant.provider_id, answered_at__isnull=False, **answer
        )

    return rows


def _feedback_period(start: dt.date, end: dt.date) -> Q:
    return _between("answered_at", start, end)


C = OutcomeMeasure.Computation
COMPUTATIONS: dict[str, Computation] = {
    C.REPORTS_RECEIVED: Computation(
        lambda _m: Report.objects.all(), "", lambda s, e: _between("submitted_at", s, e)
    ),
    C.REPEAT_VICTIM_REPORTS: Computation(
        lambda _m: Report.objects.filter(repeat_victim_q()),
        "",
        lambda s, e: _between("submitted_at", s, e),
    ),
    C.REFERRALS_RECEIVED: Computation(
        _support_referrals, "report__", lambda s, e: _between("delivered_at", s, e)
    ),
    C.REFERRALS_ACCEPTED: Computation(
        _cases, "referral__report__", lambda s, e: _between("opened_at", s, e)
    ),
    C.CONTACTED_IN_TIME: Computation(
        lambda m: _support_referrals(m).filter(first_contact_at__lte=F("contact_by")),
        "report__",
        lambda s, e: _between("contact_by", s, e),
    ),
    C.VICTIMS_SUPPORTED: Computation(_cases, "referral__report__", _supported_in),
    C.COPE_RECOVER_IMPROVED: Computation(
        _improved_cases, "referral__report__", lambda s, e: _between("closed_at", s, e)
    ),
    C.REPEAT_VICTIMS_SUPPORTED: Computation(_repeat_cases, "referral__report__", _supported_in),
    C.FEEDBACK_SATISFIED: Computation(
        _feedback(satisfaction__gte=VictimFeedback.Satisfaction.SATISFIED),
        "case__referral__report__",
        _feedback_period,
    ),
    C.FEEDBACK_SAFER: Computation(
        _feedback(feels_safer=VictimFeedback.Answer.YES),
        "case__referral__report__",
        _feedback_period,
    ),
    C.FEEDBACK_CONFIDENT: Computation(
        _feedback(confident_to_report=VictimFeedback.Answer.YES),
        "case__referral__report__",
        _feedback_period,
    ),
}


def measure_compute_periods(
    *, measure: OutcomeMeasure, periods: Sequence[Period]
) -> list[int | None]:
    """The measure's value in each period, in one query; None where it is not computed."""
    if measure.method != OutcomeMeasure.Method.COMPUTED or not periods:
        return [None] * len(periods)
    computation = COMPUTATIONS.get(measure.computation)
    if computation is None:
        return [None] * len(periods)
    rows = computation.rows(measure)
    if measure.strand_id is not None:
        rows = rows.filter(**{f"{computation.report_path}strands": measure.strand_id})
    if measure.area_id is not None:
        rows = rows.filter(**{f"{computation.report_path}area": measure.area_id})
    counts = rows.aggregate(
        **{
            f"p{index}": Count("pk", filter=computation.in_period(start, end), distinct=True)
            for index, (start, end) in enumerate(periods)
        }
    )
    return [counts[f"p{index}"] for index in range(len(periods))]


def measure_compute(*, measure: OutcomeMeasure, start: dt.date, end: dt.date) -> int | None:
    """The measure's value for one period, or None where it is not computed."""
    return measure_compute_periods(measure=measure, periods=[(start, end)])[0]
