import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from grants import selectors, services
from grants.models import Decision, Grant
from grants.tests.conftest import make_grant
from referrals.models import Provider

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("actual", "target", "status"),
    [
        (Decimal(10), Decimal(10), "green"),
        (Decimal(11), Decimal(10), "green"),
        (Decimal(8), Decimal(10), "amber"),
        (Decimal("7.99"), Decimal(10), "red"),
        (0, Decimal(0), "green"),
        (None, Decimal(10), ""),
    ],
)
def test_rag_status(actual: Decimal | None, target: Decimal, status: str) -> None:
    assert selectors.rag_status(actual=actual, target=target) == status


def test_forecast_projects_reported_spend_to_31_march(grant: Grant) -> None:
    for quarter, spend in ((1, "10000"), (2, "11000")):
        services.monitoring_return_submit(
            monitoring_return=grant.returns.get(financial_year=2016, quarter=quarter),
            actuals={},
            spend=Decimal(spend),
            narrative="",
            acting_user=None,
            today=dt.date(2016, 12, 1),
        )
    money = {m.financial_year: m for m in selectors.grant_money(grant)}
    # £21,000 over two quarters: £10,500 a quarter, £42,000 by 31 March.
    assert money[2016].forecast_spend == Decimal("42000.00")
    assert money[2016].forecast_underspend == Decimal("8000.00")
    # No spend reported for 2017/18 yet: no underspend forecast.
    assert money[2017].forecast_underspend == Decimal("0")


def test_portfolio_queries_do_not_grow_with_the_number_of_grants(
    provider: Provider, principal_decision: Decision
) -> None:
    make_grant(provider, principal_decision, reference="one")
    with CaptureQueriesContext(connection) as one:
        selectors.portfolio_overview()
    for i in range(5):
        make_grant(provider, principal_decision, reference=f"more-{i}")
    with CaptureQueriesContext(connection) as six:
        selectors.portfolio_overview()
    assert len(six.captured_queries) == len(one.captured_queries)
