import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from grants import services
from grants.models import Grant, MonitoringReturn, OutcomeMeasure
from privacy.csv_export import csv_safe

pytestmark = pytest.mark.django_db

OFFICER_URLS = [
    "/commissioning/",
    "/commissioning/insights/",
    "/commissioning/test-grant/",
    "/commissioning/export/360giving.json",
    "/commissioning/export/360giving.csv",
]


@pytest.mark.parametrize("url", OFFICER_URLS)
def test_anonymous_visitor_is_sent_to_sign_in(url: str, grant: Grant, client: Client) -> None:
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/staff/login/")


@pytest.mark.parametrize("url", OFFICER_URLS)
def test_staff_without_the_commissioning_role_is_refused(
    url: str, grant: Grant, staff_without_role: User
) -> None:
    client = Client()
    client.force_login(staff_without_role)
    assert client.get(url).status_code == 403


def test_commissioning_officer_reviews_a_return(
    grant: Grant, officer_client: Client, officer: User
) -> None:
    monitoring_return = grant.returns.get(financial_year=2016, quarter=1)
    services.monitoring_return_submit(
        monitoring_return=monitoring_return,
        actuals={},
        spend=Decimal("12000"),
        narrative="Started well.",
        acting_user=None,
        today=dt.date(2016, 7, 5),
    )
    page = officer_client.get(grant.get_absolute_url())
    assert b"Review the return for 2016/17 Q1" in page.content
    response = officer_client.post(
        reverse("grants:return_review", args=[monitoring_return.pk]),
        {"decision": "changes", "comment": ""},
    )
    monitoring_return.refresh_from_db()
    assert monitoring_return.status == MonitoringReturn.Status.SUBMITTED
    response = officer_client.post(
        reverse("grants:return_review", args=[monitoring_return.pk]), {"decision": "accept"}
    )
    assert response.status_code == 302
    monitoring_return.refresh_from_db()
    assert monitoring_return.status == MonitoringReturn.Status.ACCEPTED
    assert monitoring_return.reviewed_by == officer
    assert grant.events.filter(kind="return_accepted", acting_user=officer).exists()


def test_provider_manager_submits_their_own_return(grant: Grant, provider_manager: User) -> None:
    measure = services.outcome_measure_add(
        grant=grant,
        name="Victims supported",
        method=OutcomeMeasure.Method.PROVIDER_REPORTED,
        targets={(2016, 1): Decimal(10)},
        acting_user=None,
    )
    monitoring_return = grant.returns.get(financial_year=2016, quarter=1)
    client = Client()
    client.force_login(provider_manager)
    url = reverse("grants:return_submit", args=[monitoring_return.pk])
    response = client.post(
        url,
        {"spend": "12000.50", "narrative": "Good quarter.", f"measure_{measure.pk}": "11"},
    )
    assert response.status_code == 302
    monitoring_return.refresh_from_db()
    assert monitoring_return.status == MonitoringReturn.Status.SUBMITTED
    assert monitoring_return.spend == Decimal("12000.50")
    assert monitoring_return.actuals.get().value == Decimal(11)


def test_provider_manager_cannot_reach_another_provider_s_return(
    grant: Grant, other_provider: object, provider_manager: User
) -> None:
    other = services.grant_create(
        reference="other-grant",
        title="Other",
        provider=other_provider,  # type: ignore[arg-type]
        award_route=Grant.AwardRoute.CONTRACT,
        amount_awarded=Decimal("1000"),
        start_date=dt.date(2016, 4, 1),
        end_date=dt.date(2017, 3, 31),
        profile={2016: Decimal("1000")},
        acting_user=None,
    )
    client = Client()
    client.force_login(provider_manager)
    theirs = other.returns.first()
    assert theirs is not None
    assert client.get(reverse("grants:return_submit", args=[theirs.pk])).status_code == 404


def test_provider_manager_cannot_see_commissioning_pages(
    grant: Grant, provider_manager: User
) -> None:
    client = Client()
    client.force_login(provider_manager)
    assert client.get("/commissioning/").status_code == 403


def test_return_cannot_be_submitted_before_its_quarter_ends(grant: Grant) -> None:
    from django.core.exceptions import ValidationError

    monitoring_return = grant.returns.get(financial_year=2016, quarter=1)
    with pytest.raises(ValidationError, match="once its quarter has ended"):
        services.monitoring_return_submit(
            monitoring_return=monitoring_return,
            actuals={},
            spend=Decimal("1"),
            narrative="",
            acting_user=None,
            today=dt.date(2016, 6, 30),
        )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("+1", "'+1"),
        ("-1+2", "'-1+2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("Race", "Race"),
        (Decimal("12.50"), "12.50"),
    ],
)
def test_csv_cells_that_look_like_formulas_are_neutralised(value: object, expected: str) -> None:
    assert csv_safe(value) == expected


def test_grant_csv_neutralises_a_hostile_title(
    provider: object, principal_decision: object, officer_client: Client
) -> None:
    grant = services.grant_create(
        reference="hostile",
        title="=cmd|' /C calc'!A0",
        provider=provider,  # type: ignore[arg-type]
        award_route=Grant.AwardRoute.CONTRACT,
        amount_awarded=Decimal("1000"),
        start_date=dt.date(2016, 4, 1),
        end_date=dt.date(2017, 3, 31),
        profile={2016: Decimal("1000")},
        decision=principal_decision,  # type: ignore[arg-type]
        acting_user=None,
    )
    services.outcome_measure_add(
        grant=grant,
        name="@risky measure",
        method=OutcomeMeasure.Method.PROVIDER_REPORTED,
        targets={(2016, 1): Decimal(5)},
        acting_user=None,
    )
    response = officer_client.get(grant.get_absolute_url() + "?csv=outcomes")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[1][0] == "'@risky measure"
    response = officer_client.get("/commissioning/export/360giving.csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[1][1] == "'=cmd|' /C calc'!A0"
