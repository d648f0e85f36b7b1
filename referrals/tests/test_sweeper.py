from __future__ import annotations

import datetime

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from hatecrime.celery import app
from referrals.models import Delivery
from referrals.selectors import deliveries_stale
from referrals.tests.conftest import report_post

pytestmark = pytest.mark.django_db


def test_sweeper_and_digest_are_scheduled_in_code() -> None:
    schedule = settings.CELERY_BEAT_SCHEDULE
    tasks = {entry["task"] for entry in schedule.values()}
    assert {"referrals.tasks.deliveries_sweep", "referrals.tasks.overdue_digest"} <= tasks
    app.loader.import_default_modules()
    assert tasks <= set(app.tasks)


def test_sweeper_picks_only_deliveries_nobody_is_working_on(
    client: Client, reference_data: None
) -> None:
    report = report_post(client)
    police, support = (
        Delivery.objects.get(referral__report=report, referral__kind=kind)
        for kind in ("police", "support")
    )
    now = timezone.now()
    later = now + datetime.timedelta(seconds=settings.REFERRAL_SWEEP_GRACE_SECONDS + 1)
    # Never queued (the broker was down at submission): both are due once the
    # grace period has passed, not before.
    assert deliveries_stale(now=now) == []
    assert set(deliveries_stale(now=later)) == {police.pk, support.pk}
    # One is claimed by a worker; the other is waiting out a retry's backoff.
    Delivery.objects.filter(pk=police.pk).update(claimed_until=later + datetime.timedelta(1))
    Delivery.objects.filter(pk=support.pk).update(next_attempt_at=later)
    assert deliveries_stale(now=later) == []
    # A sent delivery is never swept.
    Delivery.objects.filter(pk=police.pk).update(status="sent", claimed_until=None)
    assert deliveries_stale(now=later + datetime.timedelta(days=1)) == [support.pk]
