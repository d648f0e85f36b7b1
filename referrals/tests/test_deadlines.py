from __future__ import annotations

import datetime
from email.message import Message

import pytest
from django.test import Client
from django.utils import timezone

from referrals import deadlines
from referrals.models import Delivery, Provider, Referral
from referrals.selectors import referrals_overdue
from referrals.services import delivery_send, overdue_digest_send
from referrals.tests.conftest import report_post

pytestmark = pytest.mark.django_db


def test_undelivered_referral_is_overdue_after_two_working_days(
    client: Client, reference_data: None
) -> None:
    report = report_post(client)
    assert not referrals_overdue().exists()
    later = timezone.now() + datetime.timedelta(days=10)
    assert set(referrals_overdue(now=later)) == set(report.referrals.all())


def test_delivered_referral_is_overdue_when_nobody_contacts_the_victim_in_time(
    client: Client, reference_data: None, smtp: list[Message]
) -> None:
    report = report_post(client)
    support = report.referrals.get(kind="support")
    delivery_send(delivery_id=Delivery.objects.get(referral=support).pk)
    support.refresh_from_db()
    assert support.contact_by is not None
    assert support not in referrals_overdue(now=support.contact_by - datetime.timedelta(hours=1))
    assert support in referrals_overdue(now=support.contact_by + datetime.timedelta(hours=1))


def test_provider_manager_gets_a_digest_of_overdue_referrals_without_victim_details(
    client: Client, reference_data: None, smtp: list[Message]
) -> None:
    report = report_post(client)
    support: Referral = report.referrals.get(kind="support")
    assert support.service is not None
    Provider.objects.filter(pk=support.service.provider_id).update(
        manager_email="manager@provider.example"
    )
    assert overdue_digest_send(now=timezone.now() + datetime.timedelta(days=10)) == 1
    [digest] = smtp
    assert digest["To"] == "manager@provider.example"
    assert "1 overdue referral" in digest["Subject"]
    text = digest.as_string()
    assert "Amara" not in text and report.reference not in text


def test_bank_holidays_are_loaded_ahead_for_this_year_and_next() -> None:
    deadlines._bank_holidays.cache_clear()
    deadlines.bank_holidays_load(datetime.date(2026, 12, 30))
    loaded = deadlines._bank_holidays.cache_info()
    assert loaded.currsize == 2
    # A deadline that runs into January finds its holidays already loaded.
    deadlines.working_days_after(datetime.datetime(2026, 12, 30, 12, tzinfo=deadlines.LONDON), 2)
    assert deadlines._bank_holidays.cache_info().misses == loaded.misses
