"""Outcome measures computed from our own records rather than reported.

Each computation counts something between two dates (inclusive, in the
service's time zone). Only the counts that the data built so far can give
are implemented: reports (optionally of one strand, in one area), and
reports from repeat victims. The others need the referrals and case records that the "Referrals" and
"Advocates' caseloads" issues add; until then they return ``None`` and the
pages say "not yet available". To add one, write a function here and list it
in ``COMPUTATIONS``: referrals received/accepted by the grant's provider,
victims contacted within the Victims' Code deadline, victims supported,
cope-and-recover measures improved between intake and closure, repeat
victims supported (``repeat_victim_reports`` shows how to find them).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.db.models import Exists, OuterRef, Q, QuerySet

from grants.models import OutcomeMeasure
from reports.models import Report, ReporterRole, YesNoUnsure


def _reports(measure: OutcomeMeasure, start: dt.date, end: dt.date) -> QuerySet[Report]:
    reports = Report.objects.filter(submitted_at__date__gte=start, submitted_at__date__lte=end)
    if measure.strand_id is not None:
        reports = reports.filter(strands=measure.strand_id)
    if measure.area_id is not None:
        reports = reports.filter(area=measure.area_id)
    return reports


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


def reports_received(*, measure: OutcomeMeasure, start: dt.date, end: dt.date) -> int:
    return _reports(measure, start, end).distinct().count()


def repeat_victim_reports(*, measure: OutcomeMeasure, start: dt.date, end: dt.date) -> int:
    return _reports(measure, start, end).filter(repeat_victim_q()).distinct().count()


COMPUTATIONS: dict[str, Callable[..., int]] = {
    OutcomeMeasure.Computation.REPORTS_RECEIVED: reports_received,
    OutcomeMeasure.Computation.REPEAT_VICTIM_REPORTS: repeat_victim_reports,
}


def measure_compute(*, measure: OutcomeMeasure, start: dt.date, end: dt.date) -> int | None:
    """The measure's value for a period, or None where it cannot be computed yet."""
    if measure.method != OutcomeMeasure.Method.COMPUTED:
        return None
    computation = COMPUTATIONS.get(measure.computation)
    if computation is None:
        return None
    return computation(measure=measure, start=start, end=end)
