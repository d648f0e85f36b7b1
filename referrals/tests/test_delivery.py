"""Delivery in-process, against a real HTTP receiver and a real SMTP server."""

from __future__ import annotations

import json
import time
from email.message import Message
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from pytest_django.fixtures import Settings as SettingsWrapper
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from referrals import payloads
from referrals.models import Delivery, DeliveryMethod, PoliceForceChannel, Referral, ReferralEvent
from referrals.services import DeliveryFailed, delivery_send
from referrals.tests.conftest import report_post
from referrals.tests.servers import Receiver
from referrals.webhooks import webhook_secret_new, webhook_sign
from reports.models import Report
from reports.services import report_consent_withdraw

pytestmark = pytest.mark.django_db


def _webhooks_everywhere(url: str) -> str:
    """Point every police force and provider at one webhook receiver."""
    secret = webhook_secret_new()
    PoliceForceChannel.objects.update(
        delivery_method=DeliveryMethod.WEBHOOK, webhook_url=url, webhook_secret=secret
    )
    from referrals.models import Provider

    for provider in Provider.objects.all():
        provider.delivery_method = DeliveryMethod.WEBHOOK
        provider.webhook_url = url
        provider.webhook_secret = secret
        provider.save()
    return secret


def _delivery(report: Report, kind: str) -> Delivery:
    return Delivery.objects.get(referral__report=report, referral__kind=kind, kind="referral")


def test_webhook_verifies_with_standardwebhooks_and_tampering_fails(
    client: Client, reference_data: None, receiver: Receiver
) -> None:
    secret = _webhooks_everywhere(receiver.url)
    report = report_post(client)
    delivery = _delivery(report, "police")
    assert delivery_send(delivery_id=delivery.pk) == "sent"
    [got] = receiver.received
    assert got.headers["webhook-id"] == delivery.message_id
    payload = Webhook(secret).verify(got.body, got.headers)
    assert payload["data"]["reference"] == report.reference

    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(got.body.replace(b"Lambeth", b"Camden"), got.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(webhook_secret_new()).verify(got.body, got.headers)
    stale = int(time.time()) - 10 * 60
    old_headers = {
        **got.headers,
        "webhook-timestamp": str(stale),
        "webhook-signature": webhook_sign(
            secret=secret, message_id=delivery.message_id, timestamp=stale, body=got.body
        ),
    }
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(got.body, old_headers)

    referral = Referral.objects.get(pk=delivery.referral_id)
    assert referral.delivery_status == "delivered"
    assert referral.events.filter(kind=ReferralEvent.Kind.DELIVERED).exists()
    [attempt] = delivery.attempts.all()
    assert attempt.succeeded and attempt.status_code == 200


def _sent_data(receiver: Receiver) -> dict[str, Any]:
    data: dict[str, Any] = receiver.received[-1].json["data"]
    return data


def test_police_payload_holds_exactly_the_consented_fields(
    client: Client, reference_data: None, receiver: Receiver, valid_report: dict[str, Any]
) -> None:
    _webhooks_everywhere(receiver.url)
    report = report_post(client, valid_report)
    delivery_send(delivery_id=_delivery(report, "police").pk)
    assert set(_sent_data(receiver)) == set(
        payloads.COMMON_FIELDS
        + payloads.POLICE_FIELDS
        + payloads.CONTACT_FIELDS
        + payloads.NEEDS_FIELDS
    )
    assert _sent_data(receiver)["account"] == valid_report["what"]["account"]


def test_anonymous_report_is_referred_to_nobody(
    client: Client, reference_data: None, valid_report: dict[str, Any]
) -> None:
    valid_report["who"]["anonymous"] = True
    report = report_post(client, valid_report)
    assert not report.referrals.exists()


def test_police_payload_of_an_anonymous_report_has_no_contact_fields(
    client: Client, reference_data: None, receiver: Receiver
) -> None:
    _webhooks_everywhere(receiver.url)
    report = report_post(client)
    # An anonymous report is only referred by triage; its payload still
    # carries nothing about the reporter.
    Report.objects.filter(pk=report.pk).update(anonymous=True)
    delivery_send(delivery_id=_delivery(report, "police").pk)
    sent = _sent_data(receiver)
    assert set(sent) == set(payloads.COMMON_FIELDS + payloads.POLICE_FIELDS)
    for name in payloads.CONTACT_FIELDS + payloads.NEEDS_FIELDS:
        assert name not in sent


def test_support_payload_has_contact_and_needs_but_never_the_account(
    client: Client, reference_data: None, receiver: Receiver, valid_report: dict[str, Any]
) -> None:
    _webhooks_everywhere(receiver.url)
    report = report_post(client, valid_report)
    delivery_send(delivery_id=_delivery(report, "support").pk)
    sent = _sent_data(receiver)
    assert set(sent) == set(
        payloads.COMMON_FIELDS + payloads.NEEDS_FIELDS + payloads.CONTACT_FIELDS
    )
    assert sent["contact_email"] == "amara.okafor@example.org"
    body = receiver.received[-1].body.decode()
    for secret_text in (
        valid_report["what"]["account"],
        valid_report["where"]["location_description"],
        valid_report["people"]["perpetrator_description"],
    ):
        assert secret_text not in body


def test_email_notification_carries_no_victim_details(
    client: Client, reference_data: None, smtp: list[Message], valid_report: dict[str, Any]
) -> None:
    report = report_post(client, valid_report)
    delivery = _delivery(report, "support")
    assert delivery_send(delivery_id=delivery.pk) == "sent"
    [message] = smtp
    referral = delivery.referral
    assert message["To"] == referral.service.provider.notification_email  # type: ignore[union-attr]
    text = message.as_string()
    assert f"/staff/referrals/referral/{referral.pk}/change/" in text
    for detail in (
        "Amara",
        "amara.okafor",
        "07700",
        "bus stop",
        "SW9",
        report.reference,
    ):
        assert detail not in text


def test_failures_are_recorded_retried_then_raised_to_staff(
    client: Client,
    reference_data: None,
    receiver: Receiver,
    smtp: list[Message],
    settings: SettingsWrapper,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.REFERRAL_MAX_ATTEMPTS = 2
    settings.REFERRAL_ALERT_EMAILS = ["triage@hub.example"]
    receiver.behaviour = lambda n: 500
    _webhooks_everywhere(receiver.url)
    report = report_post(client)
    delivery = _delivery(report, "police")
    with pytest.raises(DeliveryFailed):
        delivery_send(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == "pending" and delivery.next_attempt_at is not None
    with django_capture_on_commit_callbacks(execute=True):
        assert delivery_send(delivery_id=delivery.pk) == "failed"
    assert [a.status_code for a in delivery.attempts.all()] == [500, 500]
    assert {r.headers["webhook-id"] for r in receiver.received} == {delivery.message_id}
    referral = Referral.objects.get(pk=delivery.referral_id)
    assert referral.delivery_status == "failed"
    assert referral.events.filter(kind="delivery_failed").exists()
    [alert] = smtp
    assert alert["To"] == "triage@hub.example"
    assert "could not be delivered" in alert["Subject"]


def test_a_second_send_of_a_sent_delivery_does_nothing(
    client: Client, reference_data: None, receiver: Receiver
) -> None:
    _webhooks_everywhere(receiver.url)
    report = report_post(client)
    delivery = _delivery(report, "police")
    assert delivery_send(delivery_id=delivery.pk) == "sent"
    assert delivery_send(delivery_id=delivery.pk) == "not-claimed"
    assert len(receiver.received) == 1


def test_withdrawing_consent_cancels_undelivered_and_recalls_delivered(
    client: Client, reference_data: None, receiver: Receiver
) -> None:
    _webhooks_everywhere(receiver.url)
    report = report_post(client)
    police = _delivery(report, "police")
    delivery_send(delivery_id=police.pk)
    report_consent_withdraw(report=report, police=True, support=True)
    support = Referral.objects.get(report=report, kind="support")
    assert support.delivery_status == "cancelled" and support.outcome == "withdrawn"
    assert support.deliveries.get().status == "cancelled"
    notice = Delivery.objects.get(referral__report=report, kind="withdrawn")
    assert delivery_send(delivery_id=notice.pk) == "sent"
    body = json.loads(receiver.received[-1].body)
    assert body["type"] == "referral.withdrawn"
    assert set(body["data"]) == {"referral_id", "reference", "instruction"}


@pytest.mark.django_db(transaction=True)
def test_consent_withdrawn_during_a_send_is_followed_by_a_withdrawal_notice(
    client: Client, reference_data: None, receiver: Receiver
) -> None:
    _webhooks_everywhere(receiver.url)
    report = report_post(client)
    delivery = _delivery(report, "police")
    withdrawn = False

    def withdraw_while_in_flight(n: int) -> int:
        nonlocal withdrawn
        if not withdrawn:
            withdrawn = True
            # The reporter, in another request, while the send is in flight.
            try:
                report_consent_withdraw(report=report, police=True, support=False)
            finally:
                connection.close()
        return 200

    receiver.behaviour = withdraw_while_in_flight
    assert delivery_send(delivery_id=delivery.pk) == "sent"
    notice = Delivery.objects.get(referral=delivery.referral, kind="withdrawn")
    assert delivery_send(delivery_id=notice.pk) == "sent"
    assert receiver.received[-1].json["type"] == "referral.withdrawn"
    report.refresh_from_db()
    assert report.status == "referred"


def test_a_delivery_costs_a_fixed_number_of_queries(
    client: Client,
    reference_data: None,
    receiver: Receiver,
    valid_report: dict[str, Any],
    django_assert_num_queries: Any,
) -> None:
    # The delivery worker is CPU bound on its queries (the bench's burst):
    # claim, load (one join), the payload's strands and incident types, then
    # in one transaction the attempt, the delivery, the referral, its event,
    # the report marked referred (with its event) and the referral re-read. A
    # police referral
    # also reads its channel, its evidence and the files still being
    # checked, and after sending the files checked clean meanwhile. (SAVEPOINT and
    # RELEASE here stand for BEGIN and COMMIT: the test runs in a transaction.)
    _webhooks_everywhere(receiver.url)
    report = report_post(client, valid_report)
    support, police = _delivery(report, "support"), _delivery(report, "police")
    with django_assert_num_queries(13):
        assert delivery_send(delivery_id=support.pk) == "sent"
    # The report is already marked referred: no update, no event.
    with django_assert_num_queries(15):
        assert delivery_send(delivery_id=police.pk) == "sent"
