from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.test import Client

from referrals.deadlines import LONDON, working_days_after
from referrals.models import Capacity, Delivery, Referral, RoutingRule, Service
from referrals.tests.conftest import report_post
from reports.models import Area, Strand
from tests.conftest import VALID_REPORT

pytestmark = pytest.mark.django_db


def test_report_with_consent_is_referred_to_its_police_force_and_a_support_service(
    client: Client, reference_data: None
) -> None:
    report = report_post(client)
    referrals = {r.kind: r for r in report.referrals.all()}
    assert set(referrals) == {"police", "support"}
    police = referrals["police"]
    assert police.police_force is not None
    assert police.police_force.code == "metropolitan"
    assert "Lambeth" in police.reason
    support = referrals["support"]
    assert support.service is not None
    assert "victim asked for support" in support.reason
    # Every referral is an outbox row with one pending delivery.
    assert Delivery.objects.filter(referral__report=report, status="pending").count() == 2


def test_no_consent_to_police_means_no_police_referral(
    client: Client, reference_data: None, valid_report: dict[str, Any]
) -> None:
    valid_report["support"]["consent_share_with_police"] = False
    report = report_post(client, valid_report)
    assert list(report.referrals.values_list("kind", flat=True)) == ["support"]


def test_no_consent_to_support_means_no_support_referral(
    client: Client, reference_data: None, valid_report: dict[str, Any]
) -> None:
    valid_report["support"]["consent_share_with_support"] = False
    report = report_post(client, valid_report)
    assert list(report.referrals.values_list("kind", flat=True)) == ["police"]


def test_routing_rule_sends_lgbt_report_to_galop_and_explains_why(
    client: Client, galop_lgbt: Service, valid_report: dict[str, Any]
) -> None:
    RoutingRule.objects.create(
        strand=Strand.objects.get(code="sexual-orientation"),
        area=Area.objects.get(code="E09000022"),
        service=galop_lgbt,
        priority=1,
    )
    valid_report["why"]["strands"] = ["sexual-orientation"]
    report = report_post(client, valid_report)
    support = report.referrals.get(kind="support")
    assert support.service == galop_lgbt
    assert support.reason == (
        "sent to Galop because: sexual orientation, area Lambeth, victim asked for support"
    )


def test_full_specialist_falls_back_to_the_next_service(
    client: Client, galop_lgbt: Service, valid_report: dict[str, Any]
) -> None:
    RoutingRule.objects.create(
        strand=Strand.objects.get(code="sexual-orientation"), service=galop_lgbt, priority=1
    )
    Service.objects.filter(pk=galop_lgbt.pk).update(capacity=Capacity.FULL)
    valid_report["why"]["strands"] = ["sexual-orientation"]
    report = report_post(client, valid_report)
    support = report.referrals.get(kind="support")
    assert support.service != galop_lgbt
    assert "Galop is full" in support.reason


def test_a_recipient_gets_a_report_once(client: Client, reference_data: None) -> None:
    report = report_post(client)
    police = report.referrals.get(kind="police")
    with pytest.raises(IntegrityError), transaction.atomic():
        Referral.objects.create(
            report=report,
            kind="police",
            police_force=police.police_force,
            reason="again",
            created_at=police.created_at,
            deliver_by=police.deliver_by,
        )


def test_referral_must_be_delivered_within_two_working_days_skipping_bank_holidays() -> None:
    # Thursday 24 December 2026: Christmas Day (Friday) and the substitute
    # Boxing Day (Monday 28th) are bank holidays in England and Wales.
    submitted = datetime.datetime(2026, 12, 24, 15, 0, tzinfo=LONDON)
    assert working_days_after(submitted, 2).date() == datetime.date(2026, 12, 30)
    friday = datetime.datetime(2026, 11, 27, 9, 0, tzinfo=LONDON)
    assert working_days_after(friday, 2).date() == datetime.date(2026, 12, 1)


def test_referrals_are_written_in_the_reports_transaction(
    client: Client, reference_data: None
) -> None:
    """A failure anywhere in report_submit after the referrals are written
    leaves neither the report nor its referrals (nor a queued task)."""
    from reports.models import Report
    from reports.signals import report_submitted

    seen: list[int] = []

    def fail_after_referrals(sender: object, *, report: Report, **kwargs: object) -> None:
        seen.append(report.referrals.count())
        raise RuntimeError("something later in the transaction failed")

    report_submitted.connect(fail_after_referrals, dispatch_uid="test-fail")
    try:
        with pytest.raises(RuntimeError):
            client.post(
                "/api/v1/reports/",
                VALID_REPORT,
                content_type="application/json",
            )
    finally:
        report_submitted.disconnect(dispatch_uid="test-fail")
    assert seen == [2]
    assert not Report.objects.exists()
    assert not Referral.objects.exists()
