"""The caseload list: order, filters, search, and a fixed number of queries."""

from __future__ import annotations

import copy
import datetime
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.roles import Role
from referrals.case_models import Case, CaseRisk
from referrals.case_services import case_risk_assess, membership_add
from referrals.models import Provider, Referral
from referrals.services import referral_accept
from referrals.tests.casework import delivered_report, report_data, support_referral
from reports.models import Report
from tests.staff import make_staff, signed_in

pytestmark = pytest.mark.usefixtures("reference_data")

CASELOAD = "/staff/referrals/case/"


@pytest.fixture
def ada() -> User:
    user = make_staff("ada", Role.ADVOCATE)
    membership_add(user=user, provider=Provider.objects.get(slug="cst"), acting_user=None)
    return user


def open_case(advocate: User, **report: Any) -> Case:
    referral = support_referral(delivered_report(report_data(strands=["race"], **report)))
    referral_accept(referral=referral, advocate=advocate, acting_user=advocate)
    return Case.objects.get(referral=referral)


def clone_cases(template: Case, count: int) -> None:
    """Many more cases like ``template``, written in bulk (the list, not
    intake, is under test)."""
    report = Report.objects.get(pk=template.referral.report_id)
    strand_ids = list(report.strands.values_list("pk", flat=True))
    referral = Referral.objects.get(pk=template.referral_id)
    start = Case.objects.count()
    reports = []
    for i in range(count):
        clone = copy.copy(report)
        clone.pk = None
        clone._state.adding = True
        clone.reference = f"HC-T{start + i:06d}"
        reports.append(clone)
    reports = Report.objects.bulk_create(reports, batch_size=500)
    Report.strands.through.objects.bulk_create(
        [
            Report.strands.through(report_id=r.pk, strand_id=strand_id)
            for r in reports
            for strand_id in strand_ids
        ]
    )
    referrals = []
    for r in reports:
        ref = copy.copy(referral)
        ref.pk = None
        ref._state.adding = True
        ref.report = r
        referrals.append(ref)
    referrals = Referral.objects.bulk_create(referrals, batch_size=500)
    cases = []
    for i, (r, ref) in enumerate(zip(reports, referrals, strict=True)):
        case = copy.copy(template)
        case.pk = None
        case._state.adding = True
        case.referral = ref
        case.reference = r.reference
        case.risk_level = [CaseRisk.STANDARD, CaseRisk.MEDIUM, CaseRisk.HIGH][i % 3]
        cases.append(case)
    Case.objects.bulk_create(cases, batch_size=500)


def queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
        assert response.status_code == 200
    return len(captured)


FILTERED = (
    f"{CASELOAD}?caseload=mine&status=awaiting_contact&risk_level=3&strand=race"
    "&overdue=yes&area=E09000022"
)


def test_the_caseload_runs_the_same_queries_at_10_and_1000_cases(ada: User) -> None:
    template = open_case(ada)
    clone_cases(template, 9)
    client = signed_in(ada)
    at_10 = queries(client, CASELOAD)
    filtered_at_10 = queries(client, FILTERED)
    searched_at_10 = queries(client, f"{CASELOAD}?q={template.reference}")
    clone_cases(template, 990)
    assert Case.objects.visible_to(ada).count() == 1000
    assert queries(client, CASELOAD) == at_10
    assert queries(client, FILTERED) == filtered_at_10
    assert queries(client, f"{CASELOAD}?q={template.reference}") == searched_at_10


def test_the_caseload_puts_high_risk_and_nearest_deadline_first(ada: User) -> None:
    standard = open_case(ada, contact_email="s@example.org")
    high = open_case(ada, contact_email="h@example.org")
    case_risk_assess(case=high, acting_user=ada, escalation=True, perpetrator_proximity=True)
    response = signed_in(ada).get(CASELOAD)
    assert [case.pk for case in response.context["cl"].result_list] == [high.pk, standard.pk]


def test_the_caseload_filters_and_searches_by_reference(ada: User) -> None:
    first = open_case(ada, contact_email="one@example.org")
    second = open_case(ada, contact_email="two@example.org")
    client = signed_in(ada)

    def listed(url: str) -> set[int]:
        return {case.pk for case in client.get(url).context["cl"].result_list}

    assert listed(f"{CASELOAD}?q={second.reference}") == {second.pk}
    assert listed(f"{CASELOAD}?strand=disability") == set()
    assert listed(f"{CASELOAD}?strand=race") == {first.pk, second.pk}
    assert listed(f"{CASELOAD}?area=E09000001") == set()
    assert listed(f"{CASELOAD}?overdue=yes") == set()
    Case.objects.filter(pk=first.pk).update(next_due_at=timezone.now() - datetime.timedelta(days=1))
    assert listed(f"{CASELOAD}?overdue=yes") == {first.pk}


def test_the_caseload_filters_use_an_index() -> None:
    names = {index.name for index in Case._meta.indexes}
    assert {"case_caseload_advocate", "case_caseload_provider", "case_status_due"} <= names


def test_the_caseload_flags_a_repeat_victim_only_when_both_reports_are_visible(ada: User) -> None:
    first = open_case(ada, contact_email="again@example.org", contact_phone="07700 900001")
    second = open_case(ada, contact_email="again@example.org", contact_phone="07700 900002")
    lone = open_case(ada, contact_email="once@example.org", contact_phone="07700 900003")
    client = signed_in(ada)

    def flags() -> dict[int, bool]:
        listing = client.get(CASELOAD).context["cl"].result_list
        return {case.pk: case.repeat_victim_seen for case in listing}

    assert flags() == {first.pk: True, second.pk: True, lone.pk: False}
    # The first case goes to another advocate: Ada can no longer see that
    # report, so her case no longer says the victim reported before.
    abe = make_staff("abe", Role.ADVOCATE)
    membership_add(user=abe, provider=Provider.objects.get(slug="cst"), acting_user=None)
    from referrals.case_services import case_assign

    case_assign(case=first, advocate=abe, acting_user=abe)
    assert flags() == {second.pk: False, lone.pk: False}
