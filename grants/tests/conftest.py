from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.core.cache import cache
from django.test import Client

from grants import services
from grants.access import COMMISSIONING_OFFICER_GROUP
from grants.models import Decision, Grant, ReturnSubmitter
from referrals.demo import demo_providers_load
from referrals.models import Provider
from reports.reference_data import reference_data_load


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    # The reports picture is cached (in Redis in the suite).
    cache.clear()


@pytest.fixture
def provider(db: None) -> Provider:
    return Provider.objects.create(name="Stop Hate Test", slug="stop-hate-test")


@pytest.fixture
def other_provider(db: None) -> Provider:
    return Provider.objects.create(name="Other Provider", slug="other-provider")


@pytest.fixture
def principal_decision(db: None) -> Decision:
    return Decision.objects.create(
        reference="PCD 900",
        title="A principal decision",
        body="Office for Policing and Crime",
        decision_maker="Deputy Mayor for Policing and Crime",
        level=Decision.Level.PRINCIPAL,
        decided_on=dt.date(2016, 7, 27),
    )


@pytest.fixture
def delegated_decision(db: None) -> Decision:
    return Decision.objects.create(
        reference="CEO 12",
        title="A delegated decision",
        body="Office for Policing and Crime",
        decision_maker="Chief Executive",
        level=Decision.Level.DELEGATED,
        decided_on=dt.date(2016, 7, 1),
    )


def make_grant(provider: Provider, decision: Decision | None = None, **overrides: Any) -> Grant:
    fields: dict[str, Any] = {
        "reference": "test-grant",
        "title": "Community hub",
        "provider": provider,
        "award_route": Grant.AwardRoute.DIRECT_AWARD,
        "amount_awarded": Decimal("100000.00"),
        "start_date": dt.date(2016, 4, 1),
        "end_date": dt.date(2018, 3, 31),
        "profile": {2016: Decimal("50000.00"), 2017: Decimal("50000.00")},
        "decision": decision,
        "acting_user": None,
    }
    fields.update(overrides)
    return services.grant_create(**fields)


@pytest.fixture
def grant(provider: Provider, principal_decision: Decision) -> Grant:
    return make_grant(provider, principal_decision)


@pytest.fixture
def officer(db: None) -> User:
    user = User.objects.create_user("olivia", password="correct horse battery", is_staff=True)
    group, _ = Group.objects.get_or_create(name=COMMISSIONING_OFFICER_GROUP)
    user.groups.add(group)
    return user


@pytest.fixture
def officer_client(officer: User) -> Client:
    client = Client()
    client.force_login(officer)
    return client


@pytest.fixture
def provider_manager(provider: Provider) -> User:
    user = User.objects.create_user("pat", password="correct horse battery", is_staff=True)
    ReturnSubmitter.objects.create(provider=provider, user=user)
    return user


@pytest.fixture
def staff_without_role(db: None) -> User:
    """Charlie: staff, but no commissioning role; should see nothing here."""
    return User.objects.create_user("charlie", password="correct horse battery", is_staff=True)


@pytest.fixture
def reference_data(db: None) -> None:
    reference_data_load()
    demo_providers_load()
