from decimal import Decimal

import pytest
from django.core.management import call_command
from django.test import Client

from grants.models import BudgetLine, Decision, Grant, GrantEvent, MonitoringReturn, Payment
from grants.selectors import portfolio_overview

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(db: None) -> None:
    call_command("seed_demo", verbosity=0)


def test_pcd_174_has_five_lines_totalling_47_110_918(seeded: None) -> None:
    lines = BudgetLine.objects.filter(decision__reference="PCD 174")
    assert lines.count() == 5
    assert sum(line.amount for line in lines) == Decimal("47110918")
    funding = Decision.objects.get(reference="PCD 174").funding.all()
    assert {f.funding_source.slug: f.amount for f in funding} == {
        "moj-victims-grant": Decimal("29092663"),
        "mopac-budget": Decimal("18018255"),
    }


def test_seed_grants_are_as_the_decisions_give_them(seeded: None) -> None:
    hub = Grant.objects.get(reference="pcd-41-community-hub")
    assert hub.provider.name == "Stop Hate UK"
    assert {p.financial_year: p.amount for p in hub.profile.all()} == {
        2016: Decimal("50000"),
        2017: Decimal("50000"),
    }
    assert [p.description for p in hub.planned_payments.all()] == [
        "First tranche, November 2016",
        "Second tranche, June 2017",
    ]
    survivors = Grant.objects.get(reference="pcd-543-male-survivors")
    assert survivors.amount_awarded == Decimal("26000")
    assert survivors.decision is not None and str(survivors.decision.decided_on) == "2019-03-25"
    app = Grant.objects.get(reference="dmpcd-2015-92-reporting-app")
    assert app.amount_awarded == Decimal("100000")
    derbyshire = Grant.objects.filter(reference__startswith="derbyshire-")
    assert derbyshire.count() == 3
    assert {str(g.end_date) for g in derbyshire} == {"2021-03-31"}
    assert all(g.amount_awarded is None for g in derbyshire)
    assert all(g.variations.get().decision.reference == "18/2020" for g in derbyshire)


def test_seed_demo_is_idempotent(seeded: None) -> None:
    counts = [
        m.objects.count()
        for m in (Decision, BudgetLine, Grant, Payment, MonitoringReturn, GrantEvent)
    ]
    call_command("seed_demo", verbosity=0)
    assert counts == [
        m.objects.count()
        for m in (Decision, BudgetLine, Grant, Payment, MonitoringReturn, GrantEvent)
    ]


def test_overview_figures_follow_the_seeds(seeded: None) -> None:
    programmes = {p.decision.reference: p for p in portfolio_overview() if p.decision}
    assert programmes["PCD 174"].total.budget == Decimal("47110918")
    pcd41 = programmes["PCD 41"]
    hub = next(line for line in pcd41.lines if line.name == "Community hub element")
    year = {y.financial_year: y for y in hub.years}[2016]
    assert (year.budget, year.committed, year.paid) == (
        Decimal("50000"),
        Decimal("50000"),
        Decimal("47700"),
    )
    # 2016/17: three quarters reported £47,700 of the £50,000 profiled.
    assert year.forecast_underspend == Decimal("2300.00")
    assert pcd41.total.budget == Decimal("260000")


def test_overview_page_shows_the_seeds_figures(seeded: None, officer_client: Client) -> None:
    response = officer_client.get("/commissioning/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "£47,110,918" in html
    assert "£24,135,365" in html
    assert "£16,901,030" in html
    assert "PCD 41" in html and "£160,000" in html
    assert "DMPCD 2015 92" in html and "£175,000" in html
    assert "pcd-41-community-hub" in html  # link to the grant page


def test_grant_page_shows_outcomes_chart_and_returns(seeded: None, officer_client: Client) -> None:
    response = officer_client.get("/commissioning/pcd-543-male-survivors/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<svg" in html and 'role="img"' in html
    assert "Counselling sessions delivered" in html
    assert "tag--green" in html and "tag--red" in html
    assert "Changes requested" in html
