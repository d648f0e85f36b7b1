import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings

from grants import services
from grants.models import Decision, Grant, MonitoringReturn, Variation
from grants.tests.conftest import make_grant
from referrals.models import Provider


def test_profile_must_sum_to_the_award(provider: Provider, principal_decision: Decision) -> None:
    with pytest.raises(ValidationError, match="must sum to the award"):
        make_grant(
            provider,
            principal_decision,
            profile={2016: Decimal("50000.00"), 2017: Decimal("49999.99")},
        )
    assert not Grant.objects.exists()


def test_profile_summing_to_the_award_to_the_penny_is_accepted(
    provider: Provider, principal_decision: Decision
) -> None:
    grant = make_grant(
        provider,
        principal_decision,
        amount_awarded=Decimal("100000.01"),
        profile={2016: Decimal("50000.00"), 2017: Decimal("50000.01")},
    )
    assert sum(p.amount for p in grant.profile.all()) == Decimal("100000.01")


def test_no_money_profiled_outside_the_grant_period(
    provider: Provider, principal_decision: Decision
) -> None:
    with pytest.raises(ValidationError, match="outside the grant period"):
        make_grant(
            provider,
            principal_decision,
            profile={2016: Decimal("50000.00"), 2018: Decimal("50000.00")},
        )


def test_grant_ending_on_31_march_does_not_reach_the_next_year(
    provider: Provider, principal_decision: Decision
) -> None:
    grant = make_grant(provider, principal_decision)
    assert grant.financial_years() == [2016, 2017]


@override_settings(GRANTS_DELEGATED_LIMIT=499_000)
def test_award_above_delegated_limit_needs_the_higher_level(
    provider: Provider, delegated_decision: Decision
) -> None:
    with pytest.raises(ValidationError, match="needs a decision by the commissioner"):
        make_grant(
            provider,
            delegated_decision,
            amount_awarded=Decimal("499000.01"),
            profile={2016: Decimal("499000.01")},
        )


@override_settings(GRANTS_DELEGATED_LIMIT=499_000)
def test_award_at_the_delegated_limit_may_be_delegated(
    provider: Provider, delegated_decision: Decision
) -> None:
    grant = make_grant(
        provider,
        delegated_decision,
        amount_awarded=Decimal("499000.00"),
        profile={2016: Decimal("499000.00")},
    )
    assert grant.pk


@override_settings(GRANTS_DELEGATED_LIMIT=499_000)
def test_large_award_without_any_decision_is_refused(provider: Provider) -> None:
    with pytest.raises(ValidationError, match="needs a decision"):
        make_grant(
            provider, None, amount_awarded=Decimal("600000"), profile={2016: Decimal("600000")}
        )


@override_settings(GRANTS_DELEGATED_LIMIT=499_000)
def test_large_award_under_a_principal_decision_is_accepted(
    provider: Provider, principal_decision: Decision
) -> None:
    grant = make_grant(
        provider,
        principal_decision,
        amount_awarded=Decimal("600000"),
        profile={2016: Decimal("300000"), 2017: Decimal("300000")},
    )
    assert grant.amount_awarded == Decimal("600000")


def test_payment_outside_the_grant_period_is_refused(grant: Grant) -> None:
    with pytest.raises(ValidationError, match="outside the grant period"):
        services.payment_record(
            grant=grant,
            paid_on=dt.date(2018, 6, 1),
            financial_year=2018,
            amount=Decimal("10.00"),
            acting_user=None,
        )


def test_payment_before_the_grant_starts_is_refused(grant: Grant) -> None:
    with pytest.raises(ValidationError, match="before the grant starts"):
        services.payment_record(
            grant=grant,
            paid_on=dt.date(2016, 3, 31),
            financial_year=2016,
            amount=Decimal("10.00"),
            acting_user=None,
        )


def test_payment_in_arrears_after_year_end_is_filed_against_its_year(grant: Grant) -> None:
    services.payment_record(
        grant=grant,
        paid_on=dt.date(2017, 6, 15),
        financial_year=2016,
        amount=Decimal("30000.00"),
        acting_user=None,
    )
    assert grant.payments.get().financial_year == 2016


def test_payments_cannot_exceed_the_year_s_profile(grant: Grant) -> None:
    services.payment_record(
        grant=grant,
        paid_on=dt.date(2016, 11, 1),
        financial_year=2016,
        amount=Decimal("40000.00"),
        acting_user=None,
    )
    with pytest.raises(ValidationError, match="more than the"):
        services.payment_record(
            grant=grant,
            paid_on=dt.date(2017, 3, 1),
            financial_year=2016,
            amount=Decimal("10000.01"),
            acting_user=None,
        )


def test_extension_moves_the_end_and_needs_a_new_profile_when_money_changes(
    grant: Grant, principal_decision: Decision
) -> None:
    services.variation_record(
        grant=grant,
        decision=principal_decision,
        kind=Variation.Kind.EXTENSION,
        new_end_date=dt.date(2019, 3, 31),
        new_amount=Decimal("150000.00"),
        profile={2016: Decimal("50000"), 2017: Decimal("50000"), 2018: Decimal("50000")},
        acting_user=None,
    )
    grant.refresh_from_db()
    assert grant.end_date == dt.date(2019, 3, 31)
    assert grant.returns.filter(financial_year=2018).count() == 4
    with pytest.raises(ValidationError, match="Give a new profile"):
        services.variation_record(
            grant=grant,
            decision=principal_decision,
            kind=Variation.Kind.AMOUNT,
            new_amount=Decimal("160000.00"),
            acting_user=None,
        )


@override_settings(GRANTS_DELEGATED_LIMIT=499_000)
def test_variation_above_the_limit_needs_the_higher_level(
    grant: Grant, delegated_decision: Decision
) -> None:
    with pytest.raises(ValidationError, match="needs a decision"):
        services.variation_record(
            grant=grant,
            decision=delegated_decision,
            kind=Variation.Kind.AMOUNT,
            new_amount=Decimal("500000"),
            profile={2016: Decimal("250000"), 2017: Decimal("250000")},
            acting_user=None,
        )


def test_quarterly_returns_are_scheduled_with_due_dates(grant: Grant) -> None:
    returns = list(grant.returns.order_by("financial_year", "quarter"))
    assert len(returns) == 8
    first = returns[0]
    assert (first.period_start, first.period_end) == (dt.date(2016, 4, 1), dt.date(2016, 6, 30))
    assert first.due_on == dt.date(2016, 7, 30)
    assert first.is_overdue(dt.date(2016, 7, 31))
    assert not first.is_overdue(dt.date(2016, 7, 30))
    assert MonitoringReturn.objects.overdue_on(dt.date(2016, 7, 31)).count() == 1


def test_extension_moves_a_mid_quarter_last_return_to_the_new_end(
    provider: Provider, principal_decision: Decision
) -> None:
    grant = make_grant(
        provider,
        principal_decision,
        reference="mid-quarter",
        end_date=dt.date(2017, 5, 15),
        profile={2016: Decimal("90000"), 2017: Decimal("10000")},
    )
    last = grant.returns.get(financial_year=2017, quarter=1)
    assert last.period_end == dt.date(2017, 5, 15)
    services.variation_record(
        grant=grant,
        decision=principal_decision,
        kind=Variation.Kind.EXTENSION,
        new_end_date=dt.date(2017, 9, 30),
        acting_user=None,
    )
    last.refresh_from_db()
    assert last.period_end == dt.date(2017, 6, 30)
    assert last.due_on == dt.date(2017, 7, 30)
    assert grant.returns.filter(financial_year=2017).count() == 2
