from __future__ import annotations

import pytest
from django.test import Client

from referrals.models import Referral, Service
from referrals.tests.conftest import report_post

pytestmark = pytest.mark.django_db


def test_triage_overrides_routing_with_a_reason(
    client: Client, admin_client: Client, galop_lgbt: Service
) -> None:
    report = report_post(client)
    response = admin_client.post(
        "/staff/referrals/referral/add/",
        {
            "report": report.pk,
            "service": galop_lgbt.pk,
            "override_reason": "The victim is also targeted as a gay man.",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    referral = Referral.objects.get(report=report, service=galop_lgbt)
    assert referral.reason == "sent to Galop by triage: The victim is also targeted as a gay man."
    event = referral.events.get(kind="created")
    assert event.acting_user is not None
    assert event.data == {"override_reason": "The victim is also targeted as a gay man."}
    assert referral.deliveries.get().status == "pending"


def test_triage_cannot_send_a_report_twice_to_one_service(
    client: Client, admin_client: Client, reference_data: None
) -> None:
    report = report_post(client)
    support = report.referrals.get(kind="support")
    response = admin_client.post(
        "/staff/referrals/referral/add/",
        {"report": report.pk, "service": support.service_id, "override_reason": "again"},
    )
    assert response.status_code == 200
    assert "already been sent to that service" in response.content.decode()


def test_referral_list_flags_overdue_and_shows_why(
    client: Client, admin_client: Client, reference_data: None
) -> None:
    report = report_post(client)
    page = admin_client.get("/staff/referrals/referral/?overdue=yes")
    assert page.status_code == 200
    referral = report.referrals.get(kind="police")
    detail = admin_client.get(f"/staff/referrals/referral/{referral.pk}/change/")
    assert "victim asked for the police to be told" in detail.content.decode()
