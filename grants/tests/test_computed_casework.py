"""Measures computed from casework equal the counts taken straight from it.

The casework is built through the casework services (reports submitted and
delivered, referrals accepted, contact, outcomes at intake and closure,
closure, the victim's feedback), at chosen times; each expected figure is
then counted here in Python from the rows, independently of the SQL in
grants.computed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.roles import Role
from grants import selectors, services
from grants.computed import measure_compute_periods
from grants.models import Decision, Grant, OutcomeMeasure
from grants.tests.conftest import make_grant
from referrals.case_models import Case, VictimFeedback
from referrals.case_models import OutcomeMeasure as CaseOutcome
from referrals.case_services import (
    case_close,
    case_contact_record,
    case_outcomes_record,
    feedback_record,
    membership_add,
)
from referrals.models import Provider, Referral
from referrals.services import referral_accept
from referrals.tests.casework import delivered_report, report_data, support_referral
from reports.models import Report, Strand
from tests.staff import make_staff

pytestmark = pytest.mark.django_db

Q1 = (dt.date(2024, 4, 1), dt.date(2024, 6, 30))
Q2 = (dt.date(2024, 7, 1), dt.date(2024, 9, 30))
LOW = dict.fromkeys(
    ["feeling_safer", "health_wellbeing", "coping_everyday", "informed", "confidence_justice"], 2
)
HIGH = {**LOW, "feeling_safer": 4, "informed": 4}


def at(day: str, hour: int = 10) -> Any:
    moment = dt.datetime.fromisoformat(day).replace(hour=hour)
    return time_machine.travel(timezone.make_aware(moment), tick=False)


def on(moment: dt.datetime | None, period: tuple[dt.date, dt.date]) -> bool:
    return moment is not None and period[0] <= timezone.localtime(moment).date() <= period[1]


def count(rows: Iterable[Any], test: Callable[[Any], bool]) -> int:
    return sum(1 for row in rows if test(row))


@pytest.fixture
def cst_grant(reference_data: None) -> Grant:
    decision = Decision.objects.create(
        reference="PCD 901",
        title="Advocates",
        body="Office for Policing and Crime",
        decision_maker="Deputy Mayor",
        decided_on=dt.date(2024, 3, 1),
    )
    return make_grant(
        Provider.objects.get(slug="cst"),
        decision,
        reference="cst-advocates",
        start_date=dt.date(2024, 4, 1),
        end_date=dt.date(2025, 3, 31),
        profile={2024: Decimal("100000.00")},
    )


@pytest.fixture
def ada(reference_data: None) -> User:
    user = make_staff("ada", Role.ADVOCATE)
    membership_add(user=user, provider=Provider.objects.get(slug="cst"), acting_user=None)
    return user


def _data(day: str, strands: list[str], **support: Any) -> dict[str, Any]:
    data = report_data(strands=strands, contact_methods=["email"], contact_phone="", **support)
    data["what"]["occurred_on"] = day
    # Only the matching contact details make anyone a repeat victim here.
    data["people"]["happened_before"] = "no"
    return data


def _referral(day: str, **support: Any) -> Referral:
    with at(day):
        return support_referral(delivered_report(_data(day, ["race"], **support)))


@pytest.fixture
def casework(ada: User) -> dict[str, Case]:
    """Six months of one provider's casework, with one report for another provider."""
    # A victim who reported in March and again in May: a repeat victim.
    _referral("2024-03-20", contact_email="repeat@example.org")
    cases: dict[str, Case] = {}
    for name, day in (("a", "2024-04-02"), ("b", "2024-04-03"), ("c", "2024-05-02")):
        referral = _referral(day, contact_email=f"{name}@example.org")
        with at(day, 11):
            referral_accept(referral=referral, advocate=ada, acting_user=ada)
        cases[name] = Case.objects.get(referral=referral)
    referral = _referral("2024-05-14", contact_email="repeat@example.org")
    with at("2024-05-14", 11):
        referral_accept(referral=referral, advocate=ada, acting_user=ada)
    cases["repeat"] = Case.objects.get(referral=referral)
    _referral("2024-06-03")  # received, never accepted
    _referral("2024-07-02")  # received in Q2
    with at("2024-05-02"):  # Galop's, not CST's: never counted for this grant
        delivered_report(_data("2024-05-02", ["disability"]))

    # a: reached the next day, recovers, closes in June, satisfied.
    with at("2024-04-03"):
        case_contact_record(
            case=cases["a"], acting_user=ada, method="phone", outcome="contact_made"
        )
        case_outcomes_record(case=cases["a"], acting_user=ada, stage="intake", measures=LOW)
    with at("2024-06-10"):
        case_outcomes_record(case=cases["a"], acting_user=ada, stage="closure", measures=HIGH)
        case_close(case=cases["a"], acting_user=ada, reason="support_completed")
    # b: reached weeks late; no better at closure; dissatisfied (answers in Q2).
    with at("2024-05-20"):
        case_contact_record(
            case=cases["b"], acting_user=ada, method="phone", outcome="contact_made"
        )
        case_outcomes_record(case=cases["b"], acting_user=ada, stage="intake", measures=HIGH)
    with at("2024-06-20"):
        case_outcomes_record(case=cases["b"], acting_user=ada, stage="closure", measures=LOW)
        case_close(case=cases["b"], acting_user=ada, reason="support_completed")
    # c: never reached. repeat: reached in time, still open.
    with at("2024-05-15"):
        case_contact_record(
            case=cases["repeat"], acting_user=ada, method="email", outcome="contact_made"
        )
    with at("2024-06-12"):
        feedback_record(
            feedback=VictimFeedback.objects.get(case=cases["a"]),
            satisfaction=5,
            feels_safer="yes",
            confident_to_report="yes",
        )
    with at("2024-07-03"):
        feedback_record(
            feedback=VictimFeedback.objects.get(case=cases["b"]),
            satisfaction=2,
            feels_safer="no",
            confident_to_report="yes",
        )
    return cases


def _expected(computation: str, period: tuple[dt.date, dt.date]) -> int:
    """The figure counted in Python from the rows, as the definitions say."""
    cst = Provider.objects.get(slug="cst")
    referrals = list(Referral.objects.filter(kind="support", service__provider=cst))
    cases = list(Case.objects.filter(provider=cst).select_related("referral"))
    start, end = period

    def supported(case: Case) -> bool:
        first = case.referral.first_contact_at
        return (
            timezone.localtime(case.opened_at).date() <= end
            and first is not None
            and timezone.localtime(first).date() <= end
            and (case.closed_at is None or timezone.localtime(case.closed_at).date() >= start)
        )

    def repeat(case: Case) -> bool:
        report = case.referral.report
        earlier = Report.objects.filter(
            reporter_role="victim", submitted_at__lt=report.submitted_at
        )
        return report.reporter_role == "victim" and (
            report.happened_before == "yes"
            or any(
                getattr(report, index)
                and earlier.filter(**{index: getattr(report, index)}).exists()
                for index in ("contact_email_index", "contact_phone_index")
            )
        )

    def score(case: Case, stage: str) -> int | None:
        row = CaseOutcome.objects.filter(case=case, stage=stage).first()
        if row is None:
            return None
        return sum(getattr(row, field) for field in LOW)

    def improved(case: Case) -> bool:
        intake, closure = score(case, "intake"), score(case, "closure")
        return intake is not None and closure is not None and closure > intake

    feedback = list(VictimFeedback.objects.filter(case__provider=cst))
    return {
        "referrals_received": count(referrals, lambda r: on(r.delivered_at, period)),
        "referrals_accepted": count(cases, lambda c: on(c.opened_at, period)),
        "contacted_in_time": count(
            referrals,
            lambda r: (
                on(r.contact_by, period)
                and r.first_contact_at is not None
                and r.first_contact_at <= r.contact_by
            ),
        ),
        "victims_supported": count(cases, supported),
        "cope_recover_improved": count(cases, lambda c: on(c.closed_at, period) and improved(c)),
        "repeat_victims_supported": count(cases, lambda c: supported(c) and repeat(c)),
        "feedback_satisfied": count(
            feedback, lambda f: on(f.answered_at, period) and (f.satisfaction or 0) >= 4
        ),
        "feedback_safer": count(
            feedback, lambda f: on(f.answered_at, period) and f.feels_safer == "yes"
        ),
        "feedback_confident": count(
            feedback, lambda f: on(f.answered_at, period) and f.confident_to_report == "yes"
        ),
    }[computation]


CASEWORK_COMPUTATIONS = [
    ("referrals_received", 5, 1),
    ("referrals_accepted", 4, 0),
    ("contacted_in_time", 2, 0),
    ("victims_supported", 3, 1),
    ("cope_recover_improved", 1, 0),
    ("repeat_victims_supported", 1, 1),
    ("feedback_satisfied", 1, 0),
    ("feedback_safer", 1, 0),
    ("feedback_confident", 1, 1),
]


@pytest.mark.parametrize(("computation", "in_q1", "in_q2"), CASEWORK_COMPUTATIONS)
def test_computed_measures_equal_the_counts_from_the_casework(
    cst_grant: Grant, casework: dict[str, Case], computation: str, in_q1: int, in_q2: int
) -> None:
    measure = services.outcome_measure_add(
        grant=cst_grant,
        name=computation,
        method=OutcomeMeasure.Method.COMPUTED,
        computation=computation,
        acting_user=None,
    )
    values = measure_compute_periods(measure=measure, periods=[Q1, Q2])
    assert values == [_expected(computation, Q1), _expected(computation, Q2)]
    # And the story above gives the figures it was written to give.
    assert values == [in_q1, in_q2]


def test_a_strand_narrows_a_casework_measure(cst_grant: Grant, casework: dict[str, Case]) -> None:
    measure = services.outcome_measure_add(
        grant=cst_grant,
        name="Disability referrals",
        method=OutcomeMeasure.Method.COMPUTED,
        computation="referrals_received",
        strand=Strand.objects.get(code="disability"),
        acting_user=None,
    )
    assert measure_compute_periods(measure=measure, periods=[Q1]) == [0]


def test_the_grant_page_shows_computed_beside_reported_in_one_query_per_measure(
    cst_grant: Grant, casework: dict[str, Case]
) -> None:
    for computation, _q1, _q2 in CASEWORK_COMPUTATIONS:
        services.outcome_measure_add(
            grant=cst_grant,
            name=computation,
            method=OutcomeMeasure.Method.COMPUTED,
            computation=computation,
            targets={(2024, 1): Decimal(3), (2024, 2): Decimal(3)},
            acting_user=None,
        )
    grant = selectors.grant_for_page(cst_grant.reference)
    with CaptureQueriesContext(connection) as queries:
        outcomes = selectors.grant_outcomes(grant, today=dt.date(2024, 10, 15))
    assert len(queries) == len(CASEWORK_COMPUTATIONS)
    received = next(o for o in outcomes if o.measure.computation == "referrals_received")
    # 5 in Q1 is shown; 1 in Q2 is suppressed (<5) and red against a target of 3.
    assert [str(q.computed) for q in received.quarters] == ["5", "<5"]
    assert [q.status for q in received.quarters] == ["green", "red"]
