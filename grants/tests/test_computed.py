import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from grants import services
from grants.computed import measure_compute
from grants.models import Grant, OutcomeMeasure
from reports.models import Area, Report, Strand

pytestmark = pytest.mark.django_db


def _report(
    *,
    reference: str,
    day: dt.date,
    area: Area,
    strands: list[Strand],
    role: str = "victim",
    happened_before: str = "no",
    email_index: str = "",
) -> Report:
    submitted = timezone.make_aware(dt.datetime.combine(day, dt.time(12)))
    report = Report.objects.create(
        reference=reference,
        follow_up_secret_hash="x",
        submitted_at=submitted,
        reporter_role=role,
        when_kind="date",
        still_happening="no",
        location_kind="street",
        area=area,
        perpetrator_known="no",
        happened_before=happened_before,
        contact_email_index=email_index,
    )
    report.strands.set(strands)
    return report


def test_reports_received_equals_the_count_from_the_reports(
    reference_data: None, grant: Grant
) -> None:
    race = Strand.objects.get(code="race")
    disability = Strand.objects.get(code="disability")
    lambeth = Area.objects.get(code="E09000022")
    other_area = Area.objects.exclude(pk=lambeth.pk).first()
    assert other_area is not None
    _report(reference="A1", day=dt.date(2016, 4, 1), area=lambeth, strands=[race, disability])
    _report(reference="A2", day=dt.date(2016, 6, 30), area=lambeth, strands=[race])
    _report(reference="A3", day=dt.date(2016, 7, 1), area=lambeth, strands=[race])
    _report(reference="A4", day=dt.date(2016, 5, 1), area=other_area, strands=[race])
    _report(reference="A5", day=dt.date(2016, 5, 1), area=lambeth, strands=[disability])
    measure = services.outcome_measure_add(
        grant=grant,
        name="Race reports in Lambeth",
        method=OutcomeMeasure.Method.COMPUTED,
        computation=OutcomeMeasure.Computation.REPORTS_RECEIVED,
        strand=race,
        area=lambeth,
        targets={(2016, 1): Decimal(5)},
        acting_user=None,
    )
    q1 = (dt.date(2016, 4, 1), dt.date(2016, 6, 30))
    expected = (
        Report.objects.filter(
            strands=race,
            area=lambeth,
            submitted_at__date__gte=q1[0],
            submitted_at__date__lte=q1[1],
        )
        .distinct()
        .count()
    )
    assert expected == 2
    assert measure_compute(measure=measure, start=q1[0], end=q1[1]) == expected


def test_provider_reported_measure_cannot_be_given_a_computation(grant: Grant) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.outcome_measure_add(
            grant=grant,
            name="Odd",
            method=OutcomeMeasure.Method.PROVIDER_REPORTED,
            computation=OutcomeMeasure.Computation.REPORTS_RECEIVED,
            acting_user=None,
        )


def test_repeat_victim_reports_equal_the_count_from_the_reports(
    reference_data: None, grant: Grant
) -> None:
    race = Strand.objects.get(code="race")
    area = Area.objects.get(code="E09000022")
    # Amara reported in March, then twice in Q1: both Q1 reports are repeats.
    _report(reference="B1", day=dt.date(2016, 3, 1), area=area, strands=[race], email_index="h-a")
    _report(reference="B2", day=dt.date(2016, 4, 2), area=area, strands=[race], email_index="h-a")
    _report(reference="B3", day=dt.date(2016, 5, 2), area=area, strands=[race], email_index="h-a")
    # First report, but they say it happened before: a repeat.
    _report(
        reference="B4", day=dt.date(2016, 5, 3), area=area, strands=[race], happened_before="yes"
    )
    # A witness with the same email is not a repeat victim.
    _report(
        reference="B5",
        day=dt.date(2016, 5, 4),
        area=area,
        strands=[race],
        role="witness",
        email_index="h-a",
    )
    # A first report, and one with no contact: not repeats.
    _report(reference="B6", day=dt.date(2016, 5, 5), area=area, strands=[race], email_index="h-b")
    _report(reference="B7", day=dt.date(2016, 5, 6), area=area, strands=[race])
    measure = services.outcome_measure_add(
        grant=grant,
        name="Repeat victims reporting",
        method=OutcomeMeasure.Method.COMPUTED,
        computation=OutcomeMeasure.Computation.REPEAT_VICTIM_REPORTS,
        acting_user=None,
    )
    q1 = (dt.date(2016, 4, 1), dt.date(2016, 6, 30))
    assert measure_compute(measure=measure, start=q1[0], end=q1[1]) == 3

    from grants.selectors import repeat_victimisation_by_year

    table = repeat_victimisation_by_year()
    rows = {row[0]: [str(c) for c in row[1:]] for row in table.rows}
    # 2016/17: 5 victims' reports, 3 repeats, 2 not: both 3 and 2 are small.
    assert rows["2016/17"] == ["5", "<5", ""]
