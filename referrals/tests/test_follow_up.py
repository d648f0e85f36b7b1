from __future__ import annotations

from email.message import Message

import pytest
from django.contrib.auth.models import User
from django.test import Client

from referrals.models import Delivery, Referral
from referrals.services import delivery_send, referral_accept
from referrals.tests.conftest import report_post_with_secret

pytestmark = pytest.mark.django_db


def _sign_in(client: Client, reference: str, secret: str) -> None:
    response = client.post("/follow-up/", {"reference": reference, "secret": secret})
    assert response.status_code == 302, response.content


def _deliver(referral: Referral) -> None:
    delivery_send(delivery_id=Delivery.objects.get(referral=referral, kind="referral").pk)


def test_follow_up_page_says_where_the_report_went_without_staff_names(
    client: Client, reference_data: None, smtp: list[Message]
) -> None:
    report, secret = report_post_with_secret(client)
    support = report.referrals.get(kind="support")
    _deliver(support)
    advocate = User.objects.create_user("sam", first_name="Samira", last_name="Staffington")
    referral_accept(referral=support, advocate=advocate, advocate_name="Samira Staffington")
    _sign_in(client, report.reference, secret)
    page = client.get("/follow-up/your-report/").content.decode()
    support.refresh_from_db()
    provider = support.recipient_name
    assert f"{provider} accepted your referral on" in page
    assert "We are sending your report to Metropolitan Police Service." in page
    assert "Samira" not in page and "Staffington" not in page


def test_reporter_withdraws_consent_from_the_follow_up_page(
    client: Client, reference_data: None, smtp: list[Message]
) -> None:
    report, secret = report_post_with_secret(client)
    support = report.referrals.get(kind="support")
    _deliver(support)
    _sign_in(client, report.reference, secret)
    response = client.post(
        "/follow-up/withdraw-consent/", {"withdraw-police": "on", "withdraw-support": "on"}
    )
    assert response.status_code == 302
    police = report.referrals.get(kind="police")
    assert police.delivery_status == "cancelled" and police.outcome == "withdrawn"
    support.refresh_from_db()
    assert support.outcome == "withdrawn"
    notice = Delivery.objects.get(referral=support, kind="withdrawn")
    assert delivery_send(delivery_id=notice.pk) == "sent"
    assert "Consent withdrawn" in smtp[-1]["Subject"]
    page = client.get("/follow-up/your-report/").content.decode()
    assert "You withdrew your consent before we sent your report to Metropolitan" in page
    assert "Stop sharing my report" not in page  # nothing left to withdraw


def test_withdrawing_nothing_is_an_error_linked_at_the_top(
    client: Client, reference_data: None
) -> None:
    report, secret = report_post_with_secret(client)
    _sign_in(client, report.reference, secret)
    response = client.post("/follow-up/withdraw-consent/", {})
    assert response.status_code == 400
    assert "Select who you want us to stop sharing your report with." in response.content.decode()
    assert report.referrals.filter(outcome="withdrawn").count() == 0
