"""Evidence checked clean after the police referral went: a follow-up
``referral.evidence_added`` message (the outbox), as the real loopback
receiver gets it, scanned by a real clamd; nothing for support services,
nothing after consent is withdrawn, and one message per file only."""

from __future__ import annotations

import copy
import datetime
import hashlib
from email.message import Message
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from evidence import services
from evidence.models import EvidenceItem
from evidence.tests.conftest import (  # noqa: F401 (fixtures)
    _evidence_settings,
    clamd,
    clamd_socket,
    jpeg_with_location,
)
from evidence.tests.helpers import upload_bytes
from referrals.models import (
    Delivery,
    DeliveryMethod,
    PoliceForceChannel,
    Referral,
    ReferralEvent,
)
from referrals.selectors import deliveries_stale
from referrals.services import delivery_send, referral_evidence_added
from referrals.tests.servers import Receiver
from referrals.tests.test_webhook_docs import _webhooks_to, documented_receiver  # noqa: F401
from reports.models import Report
from reports.services import report_consent_withdraw
from tests.conftest import VALID_REPORT
from tests.helpers import submit

pytestmark = pytest.mark.usefixtures("reference_data", "_evidence_settings", "clamd")

PHOTO = jpeg_with_location()


@pytest.fixture
def report() -> Report:
    """Submitted with a photo the scanner has not reached yet."""
    report = submit(copy.deepcopy(VALID_REPORT)).report
    photo = upload_bytes(PHOTO, filename="bus stop.jpg")
    with transaction.atomic():
        services.evidence_claim(report=report, owner=photo.owner, evidence_ids=[photo.pk])
    return report


def _deliver(report: Report, kind: str) -> None:
    delivery = Delivery.objects.get(referral__report=report, referral__kind=kind, kind="referral")
    assert delivery_send(delivery_id=delivery.pk) == "sent"


def _follow_ups(report: Report) -> list[Delivery]:
    return list(Delivery.objects.filter(referral__report=report, kind="evidence"))


def _photo(report: Report) -> EvidenceItem:
    return report.evidence.get()


def test_a_photo_checked_clean_after_delivery_reaches_the_police(
    client: Client, report: Report, receiver: Receiver, secret: str
) -> None:
    _deliver(report, "police")
    first = Webhook(secret).verify(receiver.received[-1].body, receiver.received[-1].headers)
    assert first["data"]["evidence"] == [] and first["data"]["evidence_pending"] == 1

    services.evidence_process(item_id=_photo(report).pk)  # real clamd: clean
    photo = _photo(report)
    assert photo.status == EvidenceItem.Status.CLEAN
    [follow_up] = _follow_ups(report)
    assert follow_up.referral.kind == Referral.Kind.POLICE
    assert follow_up.evidence_item_id == photo.pk
    assert ReferralEvent.objects.filter(
        referral=follow_up.referral, kind="evidence_added", data={"evidence_item": str(photo.pk)}
    ).exists()

    assert delivery_send(delivery_id=follow_up.pk) == "sent"
    got = receiver.received[-1]
    assert got.headers["webhook-id"] == follow_up.message_id
    payload: dict[str, Any] = Webhook(secret).verify(got.body, got.headers)
    assert payload["type"] == "referral.evidence_added"
    data = payload["data"]
    assert set(data) == {"referral_id", "evidence", "evidence_pending"}  # nothing else
    assert data["referral_id"] == follow_up.referral_id
    assert data["evidence_pending"] == 0
    [entry] = data["evidence"]
    assert {k: entry[k] for k in ("id", "kind", "version", "sha256", "size")} == {
        "id": str(photo.pk),
        "kind": "image",
        "version": "original",
        "sha256": hashlib.sha256(PHOTO).hexdigest(),
        "size": len(PHOTO),
    }
    assert b"Amara" not in got.body  # no account, no contact details

    # The force follows the link: the same bytes the victim uploaded.
    response = client.get(urlsplit(entry["url"]).path)
    assert response.status_code == 200
    body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert body == PHOTO
    assert hashlib.sha256(body).hexdigest() == entry["sha256"]


def test_one_message_only_however_often_the_tasks_run(
    report: Report, receiver: Receiver, secret: str
) -> None:
    _deliver(report, "police")
    services.evidence_process(item_id=_photo(report).pk)
    # A redelivered scan message finds the item done; the hook called again
    # finds the follow-up already written.
    assert services.evidence_process(item_id=_photo(report).pk) is None
    assert referral_evidence_added(item=_photo(report)) == []
    [follow_up] = _follow_ups(report)
    assert delivery_send(delivery_id=follow_up.pk) == "sent"
    assert delivery_send(delivery_id=follow_up.pk) == "not-claimed"
    sent = [r for r in receiver.received if r.json["type"] == "referral.evidence_added"]
    assert len(sent) == 1


def test_support_services_and_undelivered_referrals_get_no_follow_up(
    report: Report, receiver: Receiver, secret: str
) -> None:
    _deliver(report, "support")  # the police referral is not delivered yet
    services.evidence_process(item_id=_photo(report).pk)
    assert _follow_ups(report) == []
    # The police referral, sent now, lists the photo itself.
    _deliver(report, "police")
    data = Webhook(secret).verify(receiver.received[-1].body, receiver.received[-1].headers)
    assert [entry["id"] for entry in data["data"]["evidence"]] == [str(_photo(report).pk)]
    assert _follow_ups(report) == []
    assert not any(r.json["type"] == "referral.evidence_added" for r in receiver.received)


def test_consent_withdrawn_before_the_scan_sends_nothing(
    report: Report, receiver: Receiver, secret: str
) -> None:
    _deliver(report, "police")
    report_consent_withdraw(report=report, police=True, support=False)
    services.evidence_process(item_id=_photo(report).pk)
    assert _follow_ups(report) == []


def test_consent_withdrawn_before_the_follow_up_is_sent_cancels_it(
    report: Report, receiver: Receiver, secret: str
) -> None:
    _deliver(report, "police")
    services.evidence_process(item_id=_photo(report).pk)
    [follow_up] = _follow_ups(report)
    report_consent_withdraw(report=report, police=True, support=False)
    follow_up.refresh_from_db()
    assert follow_up.status == Delivery.Status.CANCELLED
    assert delivery_send(delivery_id=follow_up.pk) == "not-claimed"
    # Had a worker claimed it already, the send itself checks consent again.
    Delivery.objects.filter(pk=follow_up.pk).update(status=Delivery.Status.PENDING)
    assert delivery_send(delivery_id=follow_up.pk) == "cancelled"
    assert not any(r.json["type"] == "referral.evidence_added" for r in receiver.received)


def test_an_email_channel_is_told_only_that_new_evidence_is_on_the_staff_site(
    report: Report, smtp: list[Message]
) -> None:
    PoliceForceChannel.objects.update(
        delivery_method=DeliveryMethod.EMAIL, notification_email="hate-crime@met.example"
    )
    _deliver(report, "police")
    services.evidence_process(item_id=_photo(report).pk)
    [follow_up] = _follow_ups(report)
    assert delivery_send(delivery_id=follow_up.pk) == "sent"
    notice = smtp[-1]
    assert notice["Subject"] == f"New evidence for referral {follow_up.referral_id}"
    text = notice.as_string()
    link = reverse("admin:referrals_referral_change", args=[follow_up.referral_id])
    assert "New evidence is available" in text and link in text
    photo = _photo(report)
    assert photo.sha256 not in text and str(photo.pk) not in text and "Amara" not in text


def test_the_documented_receiver_handles_the_follow_up(
    report: Report,
    documented_receiver: tuple[str, str, Any],  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, secret, example = documented_receiver
    _webhooks_to(url, secret)
    _deliver(report, "police")
    services.evidence_process(item_id=_photo(report).pk)
    [follow_up] = _follow_ups(report)
    assert delivery_send(delivery_id=follow_up.pk) == "sent"
    printed = capsys.readouterr().out
    assert f"new evidence for referral {follow_up.referral_id} {_photo(report).sha256}" in printed
    assert follow_up.message_id in example["processed"]


def test_a_lost_follow_up_message_is_swept_like_any_delivery(
    report: Report, receiver: Receiver, secret: str
) -> None:
    _deliver(report, "police")
    services.evidence_process(item_id=_photo(report).pk)
    [follow_up] = _follow_ups(report)
    # Its queue message never left (on_commit does not run in this test's
    # transaction): once the grace period is over, the sweeper finds it.
    later = timezone.now() + datetime.timedelta(seconds=settings.REFERRAL_SWEEP_GRACE_SECONDS + 1)
    assert follow_up.last_queued_at is None
    assert follow_up.pk in deliveries_stale(now=later)
    assert delivery_send(delivery_id=follow_up.pk) == "sent"
    assert follow_up.pk not in deliveries_stale(now=later)
