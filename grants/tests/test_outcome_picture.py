"""The aggregate picture of outcomes: police charge or summons, repeat
victimisation and satisfaction by strand and financial year; victims'
feedback by provider and area. Built through the casework services; each
figure is checked against a count taken straight from the rows, and small
counts are suppressed."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from audit.roles import Role
from grants import selectors
from grants.financial_years import financial_year_label, financial_year_of
from referrals.case_models import Case, PoliceResponse, VictimFeedback
from referrals.case_services import (
    case_close,
    feedback_record,
    membership_add,
    police_response_record,
)
from referrals.models import Provider
from referrals.services import referral_accept
from referrals.tests.casework import (
    delivered_report,
    police_referral,
    report_data,
    support_referral,
)
from reports.models import PoliceForce, Report
from tests.staff import make_staff

pytestmark = pytest.mark.django_db


def build(count: int, *, charged: int, satisfied: int, repeat: int) -> None:
    ada = make_staff("ada", Role.ADVOCATE)
    membership_add(user=ada, provider=Provider.objects.get(slug="cst"), acting_user=None)
    pete = make_staff("pete", Role.POLICE_LIAISON)
    membership_add(
        user=pete, police_force=PoliceForce.objects.get(code="metropolitan"), acting_user=None
    )
    for index in range(count):
        data = report_data(
            strands=["race"],
            contact_methods=["email"],
            contact_phone="",
            contact_email=f"victim{index}@example.org",
        )
        data["people"]["happened_before"] = "yes" if index < repeat else "no"
        report = delivered_report(data)
        police_response_record(
            referral=police_referral(report),
            acting_user=pete,
            crime_reference=f"CR{index}",
            outcome="charge_summons" if index < charged else "no_further_action",
        )
        referral = support_referral(report)
        referral_accept(referral=referral, advocate=ada, acting_user=ada)
        case = Case.objects.get(referral=referral)
        case_close(case=case, acting_user=ada, reason="support_completed")
        feedback_record(
            feedback=VictimFeedback.objects.get(case=case),
            satisfaction=5 if index < satisfied else 2,
            feels_safer="yes",
            confident_to_report="no",
        )


def this_year() -> str:
    return financial_year_label(financial_year_of(timezone.localdate()))


def test_outcomes_by_strand_and_year_equal_the_counts_from_casework(
    reference_data: None,
) -> None:
    build(10, charged=5, satisfied=5, repeat=5)
    race_reports = Report.objects.filter(strands__code="race")
    to_police = race_reports.filter(
        referrals__kind="police", referrals__delivery_status="delivered"
    ).distinct()
    charged = PoliceResponse.objects.filter(
        referral__report__in=race_reports, outcome="charge_summons"
    ).count()
    repeat = race_reports.filter(happened_before="yes").count()
    answered = VictimFeedback.objects.filter(answered_at__isnull=False)
    satisfied = answered.filter(satisfaction__gte=4).count()
    assert (to_police.count(), charged, repeat, answered.count(), satisfied) == (10, 5, 5, 10, 5)

    police = selectors.police_outcomes_by_strand_and_year()
    assert [[str(c) for c in row] for row in police.rows] == [
        ["Race or ethnicity", this_year(), "10", "5", "50%"]
    ]
    repeats = selectors.repeat_victimisation_by_strand_and_year()
    assert [str(c) for c in repeats.rows[0][2:]] == [str(race_reports.count()), "5", "50%"]
    satisfaction = selectors.satisfaction_by_strand_and_year()
    assert [str(c) for c in satisfaction.rows[0][2:]] == ["10", "5", "50%"]
    provider = selectors.feedback_by_provider()
    assert [str(c) for c in provider.rows[0]] == [
        Provider.objects.get(slug="cst").name,
        "10",
        "5",
        "50%",
        "10",
        "100%",
        "0",
        "0%",
    ]
    assert [str(c) for c in selectors.feedback_by_area().rows[0][:2]] == ["Lambeth", "10"]


def test_small_outcome_counts_are_suppressed(reference_data: None) -> None:
    build(6, charged=2, satisfied=5, repeat=0)
    police = selectors.police_outcomes_by_strand_and_year()
    # 2 charged is small: hidden, with its share.
    assert [str(c) for c in police.rows[0][2:]] == ["6", "<5", ""]
    # 5 satisfied of 6 leaves 1 not: that would give it away, so hidden too.
    satisfaction = selectors.satisfaction_by_strand_and_year()
    assert [str(c) for c in satisfaction.rows[0][2:]] == ["6", "<5", ""]


def test_officer_sees_the_outcome_tables_charts_and_csv(
    reference_data: None, officer_client: Client
) -> None:
    build(5, charged=5, satisfied=0, repeat=0)
    html = officer_client.get("/commissioning/insights/").content.decode()
    for key in ("police-outcomes", "repeat-strand", "satisfaction", "feedback-provider"):
        assert f'<table class="table" id="{key}">' in html
        assert f"csv={key}" in html
    for key in ("police-outcomes", "repeat-strand", "satisfaction"):
        assert f'aria-labelledby="{key}-chart-title"' in html
    response = officer_client.get("/commissioning/insights/?csv=police-outcomes")
    assert response["Content-Type"].startswith("text/csv")
    body = response.content.decode()
    assert "Strand,Financial year,Reports passed to the police,Charge or summons,Share" in body
    assert f"Race or ethnicity,{this_year()},5,5,100%" in body


def test_feedback_is_never_shown_per_person(reference_data: None, officer_client: Client) -> None:
    build(5, charged=0, satisfied=5, repeat=0)
    for url in (
        "/commissioning/insights/",
        "/commissioning/insights/?csv=feedback-provider",
        "/commissioning/insights/?csv=feedback-area",
        "/commissioning/insights/?csv=satisfaction",
    ):
        body = officer_client.get(url).content.decode()
        for case in Case.objects.all():
            assert case.reference not in body
        assert "victim0@example.org" not in body
