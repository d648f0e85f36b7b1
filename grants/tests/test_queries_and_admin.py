import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from grants import selectors, services
from grants.models import (
    BudgetLine,
    Decision,
    FundingSource,
    Grant,
    MonitoringReturn,
    OutcomeMeasure,
    Payment,
)
from reports.models import Area, Report, Strand

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(db: None) -> None:
    call_command("seed_demo", verbosity=0)


def test_portfolio_query_count_does_not_grow_with_grants(
    seeded: None, officer_client: Client, django_assert_max_num_queries: object
) -> None:
    with django_assert_max_num_queries(20):  # type: ignore[operator]
        response = officer_client.get("/commissioning/")
    assert response.status_code == 200


def test_grant_page_query_count(
    seeded: None, officer_client: Client, django_assert_max_num_queries: object
) -> None:
    with django_assert_max_num_queries(25):  # type: ignore[operator]
        response = officer_client.get("/commissioning/pcd-41-community-hub/")
    assert response.status_code == 200


def test_insights_query_count(
    seeded: None, officer_client: Client, django_assert_max_num_queries: object
) -> None:
    # A cache miss (the refresh task has not run): the page counts the
    # picture itself. 25: the staff site loads the signed-in user's
    # second-factor device too; the outcome tables (police, repeat victims,
    # feedback) add six; the referral funnel two (all strands, then per
    # strand) and time to first contact one (both in one UNION ALL).
    with django_assert_max_num_queries(25):  # type: ignore[operator]
        response = officer_client.get("/commissioning/insights/")
    assert response.status_code == 200


def test_unprofiled_award_counts_as_committed(seeded: None) -> None:
    programme = next(
        p
        for p in selectors.portfolio_overview()
        if p.decision and p.decision.reference == "DMPCD 2015 92"
    )
    assert programme.total.committed == Decimal("100000")
    assert programme.total.budget == Decimal("275000")


def test_small_reported_counts_are_suppressed_on_the_grant_page(
    grant: Grant, officer_client: Client
) -> None:
    measure = services.outcome_measure_add(
        grant=grant,
        name="Victims supported",
        method=OutcomeMeasure.Method.PROVIDER_REPORTED,
        targets={(2016, 1): Decimal(10)},
        acting_user=None,
    )
    services.monitoring_return_submit(
        monitoring_return=grant.returns.get(financial_year=2016, quarter=1),
        actuals={measure: Decimal(3)},
        spend=Decimal("100"),
        narrative="",
        acting_user=None,
        today=dt.date(2016, 7, 1),
    )
    html = officer_client.get(grant.get_absolute_url()).content.decode()
    assert "&lt;5" in html
    body = officer_client.get(grant.get_absolute_url() + "?csv=outcomes").content.decode()
    assert "Victims supported,2016/17 Q1,10.00,<5,,red" in body


def test_strand_by_year_counts_match_the_reports(reference_data: None) -> None:
    race = Strand.objects.get(code="race")
    religion = Strand.objects.get(code="religion")
    area = Area.objects.first()
    assert area is not None
    days = [dt.date(2018, 3, 31)] * 6 + [dt.date(2018, 4, 1)] * 7
    for i, day in enumerate(days):
        report = Report.objects.create(
            reference=f"R{i}",
            follow_up_secret_hash="x",
            submitted_at=timezone.make_aware(dt.datetime.combine(day, dt.time(23, 30))),
            reporter_role="victim",
            when_kind="date",
            still_happening="no",
            location_kind="street",
            area=area,
            perpetrator_known="no",
            happened_before="no",
        )
        report.strands.set([race, religion] if i % 2 else [race])
    table = selectors.reports_by_strand_and_year()
    assert table.columns[1:] == ["2017/18", "2018/19"]
    rows = {row[0]: [str(c) for c in row[1:]] for row in table.rows}
    # 23:30 on 31 March (London time) is still 2017/18.
    assert rows["Race or ethnicity"] == ["6", "7"]
    assert rows["Religion or belief"] == ["<5", "<5"]  # 3 in each year


def test_admin_pages_load_for_staff(seeded: None) -> None:
    admin = User.objects.create_superuser("admin", password="correct horse battery")
    client = Client()
    client.force_login(admin)
    grant = Grant.objects.get(reference="pcd-41-community-hub")
    for model, pk in [
        (Decision, Decision.objects.get(reference="PCD 174").pk),
        (FundingSource, FundingSource.objects.first().pk),  # type: ignore[union-attr]
        (BudgetLine, BudgetLine.objects.first().pk),  # type: ignore[union-attr]
        (Grant, grant.pk),
        (MonitoringReturn, grant.returns.first().pk),  # type: ignore[union-attr]
        (Payment, None),
    ]:
        base = f"/staff/grants/{model._meta.model_name}/"
        assert client.get(base).status_code == 200, base
        if pk is not None:
            assert client.get(f"{base}{pk}/change/").status_code == 200, base


def test_admin_refuses_a_profile_that_does_not_sum_to_the_award(grant: Grant, db: None) -> None:
    admin = User.objects.create_superuser("admin", password="correct horse battery")
    client = Client()
    client.force_login(admin)
    profile = list(grant.profile.all())
    data = {
        "reference": grant.reference,
        "title": grant.title,
        "provider": grant.provider_id,
        "decision": grant.decision_id,
        "award_route": grant.award_route,
        "amount_awarded": "100000.00",
        "start_date": "2016-04-01",
        "end_date": "2018-03-31",
        "status": "active",
        "profile-TOTAL_FORMS": "2",
        "profile-INITIAL_FORMS": "2",
        "profile-0-id": profile[0].pk,
        "profile-0-grant": grant.pk,
        "profile-0-financial_year": "2016",
        "profile-0-amount": "50000.00",
        "profile-1-id": profile[1].pk,
        "profile-1-grant": grant.pk,
        "profile-1-financial_year": "2017",
        "profile-1-amount": "40000.00",
        "measures-TOTAL_FORMS": "0",
        "measures-INITIAL_FORMS": "0",
        "payments-TOTAL_FORMS": "0",
        "payments-INITIAL_FORMS": "0",
        "variations-TOTAL_FORMS": "0",
        "variations-INITIAL_FORMS": "0",
    }
    response = client.post(f"/staff/grants/grant/{grant.pk}/change/", data)
    assert response.status_code == 200
    assert "must sum to the award" in response.content.decode()


def test_grant_added_on_the_staff_site_gets_returns_and_an_event(
    provider: object, principal_decision: Decision
) -> None:
    admin = User.objects.create_superuser("admin", password="correct horse battery")
    client = Client()
    client.force_login(admin)
    data = {
        "reference": "added-in-admin",
        "title": "Added in the admin",
        "provider": provider.pk,  # type: ignore[attr-defined]
        "decision": principal_decision.pk,
        "award_route": "contract",
        "amount_awarded": "1000.00",
        "start_date": "2019-04-01",
        "end_date": "2020-03-31",
        "status": "active",
        "profile-TOTAL_FORMS": "1",
        "profile-INITIAL_FORMS": "0",
        "profile-0-financial_year": "2019",
        "profile-0-amount": "1000.00",
    }
    for prefix in ("planned_payments", "measures", "payments", "variations"):
        data[f"{prefix}-TOTAL_FORMS"] = "0"
        data[f"{prefix}-INITIAL_FORMS"] = "0"
    response = client.post("/staff/grants/grant/add/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    grant = Grant.objects.get(reference="added-in-admin")
    assert grant.returns.count() == 4
    assert grant.events.filter(kind="created", acting_user=admin).exists()


def test_the_refresh_task_counts_the_picture_ahead_of_visitors(
    seeded: None, officer_client: Client
) -> None:
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from grants.tasks import insights_refresh_task
    from grants.tests.test_computed import _report

    race = Strand.objects.get(code="race")
    lambeth = Area.objects.get(code="E09000022")
    for number, day in enumerate([dt.date(2024, 3, 31), dt.date(2024, 4, 1)] * 6):
        _report(reference=f"HC-REFR-{number:04d}", day=day, area=lambeth, strands=[race])
    cache.clear()
    # All years, 2023/24 and 2024/25.
    assert insights_refresh_task.apply().get() == 3
    for year in ("", "?year=2023", "?year=2024"):
        with CaptureQueriesContext(connection) as captured:
            response = officer_client.get(f"/commissioning/insights/{year}")
        assert response.status_code == 200
        counted = [q["sql"] for q in captured.captured_queries if "COUNT(" in q["sql"]]
        assert counted == [], counted

    def lambeth_count(year: int | None) -> object:
        rows = selectors.insights_tables(financial_year=year)["area"].rows
        return next(row[1] for row in rows if row[0] == "Lambeth")

    # Each financial year's own counts (31 March and 1 April fall either side).
    assert str(lambeth_count(None)) == "12"
    assert str(lambeth_count(2023)) == "6"
    assert str(lambeth_count(2024)) == "6"
