"""Outcome measures computed from our own records rather than reported.

Each computation counts something between two dates (inclusive, in the
service's time zone). Only the counts that the data built so far can give
are implemented: reports (optionally of one strand, in one area). The
others need the referrals and case records that the "Referrals" and
"Advocates' caseloads" issues add; until then they return ``None`` and the
pages say "not yet available". To add one, write a function here and list it
in ``COMPUTATIONS``: referrals received/accepted by the grant's provider,
victims contacted within the Victims' Code deadline, victims supported,
cope-and-recover measures improved between intake and closure, repeat
victims supported (by the reports' blind indexes).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from grants.models import OutcomeMeasure
from reports.models import Report


def reports_received(*, measure: OutcomeMeasure, start: dt.date, end: dt.date) -> int:
    reports = Report.objects.filter(submitted_at__date__gte=start, submitted_at__date__lte=end)
    if measure.strand_id is not None:
        reports = reports.filter(strands=measure.strand_id)
    if measure.area_id is not None:
        reports = reports.filter(area=measure.area_id)
    return reports.distinct().count()


COMPUTATIONS: dict[str, Callable[..., int]] = {
    OutcomeMeasure.Computation.REPORTS_RECEIVED: reports_received,
}


def measure_compute(*, measure: OutcomeMeasure, start: dt.date, end: dt.date) -> int | None:
    """The measure's value for a period, or None where it cannot be computed yet."""
    if measure.method != OutcomeMeasure.Method.COMPUTED:
        return None
    computation = COMPUTATIONS.get(measure.computation)
    if computation is None:
        return None
    return computation(measure=measure, start=start, end=end)
