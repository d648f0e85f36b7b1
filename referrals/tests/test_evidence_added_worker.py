"""Evidence checked clean after the police referral went, end to end: a
real Celery worker on a private Redis delivers the ``referral.evidence_added``
follow-up to a real receiver (retried with the same webhook-id, sent once
however often it is queued), and a file checked clean while the referral
itself is in flight still reaches the force. Scanned by a real clamd."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.db import transaction
from django.test import Client
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
from referrals.models import Delivery
from referrals.services import delivery_enqueue
from referrals.tests.servers import Received, Receiver, Worker, wait_for
from referrals.tests.test_worker import (  # noqa: F401 (fixtures)
    _delivered,
    _police_only_report,
    _police_webhook,
    broker,
    start_worker,
)
from reports.models import Report

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("_evidence_settings", "clamd"),
]

PHOTO = jpeg_with_location()


def _with_photo(report: Report) -> EvidenceItem:
    """The victim's photo, attached to the report, not yet scanned (the
    processing queue is not one the test worker consumes)."""
    photo = upload_bytes(PHOTO, filename="bus stop.jpg")
    with transaction.atomic():
        services.evidence_claim(report=report, owner=photo.owner, evidence_ids=[photo.pk])
    return photo


def _of_type(receiver: Receiver, kind: str) -> list[Received]:
    return [r for r in receiver.received if r.json["type"] == kind]


def _check_link(client: Client, entry: dict[str, Any]) -> None:
    response = client.get(urlsplit(entry["url"]).path)
    assert response.status_code == 200
    body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert body == PHOTO
    assert hashlib.sha256(body).hexdigest() == entry["sha256"] == hashlib.sha256(PHOTO).hexdigest()


def test_evidence_clean_after_delivery_is_sent_once_retried_with_the_same_id(
    client: Client,
    start_worker: Callable[..., Worker],  # noqa: F811
) -> None:
    # The referral, then a 500 for the follow-up's first attempt, then 200.
    receiver = Receiver(behaviour=lambda n: 500 if n == 2 else 200).start()
    try:
        secret = _police_webhook(receiver.url)
        report = _police_only_report(client)
        photo = _with_photo(report)
        referral = report.referrals.get()
        start_worker()
        wait_for(lambda: _delivered(referral), timeout=30, what="the referral")
        [created] = _of_type(receiver, "referral.created")
        assert Webhook(secret).verify(created.body, created.headers)["data"]["evidence"] == []

        services.evidence_process(item_id=photo.pk)  # clean; queued after commit
        follow_up = Delivery.objects.get(referral=referral, kind=Delivery.Kind.EVIDENCE_ADDED)
        for _ in range(4):  # duplicates of the task: the claim makes them no-ops
            delivery_enqueue(delivery_id=follow_up.pk)
        wait_for(
            lambda: Delivery.objects.filter(pk=follow_up.pk, status="sent").exists(),
            timeout=30,
            what="the evidence follow-up",
        )
        time.sleep(2)  # let the duplicates (and a sweep) run
    finally:
        receiver.stop()
    sent = _of_type(receiver, "referral.evidence_added")
    assert len(sent) == 2  # the 500, and the retry
    assert {r.headers["webhook-id"] for r in sent} == {follow_up.message_id}
    assert [a.status_code for a in follow_up.attempts.all()] == [500, 200]
    payload = Webhook(secret).verify(sent[-1].body, sent[-1].headers)
    data = payload["data"]
    assert set(data) == {"referral_id", "evidence", "evidence_pending"}
    assert data["referral_id"] == referral.pk and data["evidence_pending"] == 0
    [entry] = data["evidence"]
    assert entry["id"] == str(photo.pk) and entry["version"] == "original"
    _check_link(client, entry)


def test_evidence_clean_while_the_referral_is_in_flight_still_reaches_the_force(
    client: Client,
    start_worker: Callable[..., Worker],  # noqa: F811
) -> None:
    photo: EvidenceItem | None = None

    def scan_then_answer(n: int) -> int:
        # The scan finishes (and commits) while the referral's request is
        # open: the referral is not yet recorded as delivered.
        if n == 1 and photo is not None:
            services.evidence_process(item_id=photo.pk)
        return 200

    receiver = Receiver(behaviour=scan_then_answer).start()
    try:
        secret = _police_webhook(receiver.url)
        report = _police_only_report(client)
        photo = _with_photo(report)
        start_worker(
            REFERRAL_DELIVERY_TIMEOUT_SECONDS="20",
            REFERRAL_TASK_SOFT_TIME_LIMIT="25",
            REFERRAL_TASK_TIME_LIMIT="30",
            REFERRAL_CLAIM_SECONDS="40",
        )
        wait_for(
            lambda: _of_type(receiver, "referral.evidence_added"),
            timeout=40,
            what="the evidence follow-up",
        )
    finally:
        receiver.stop()
    [created] = _of_type(receiver, "referral.created")
    first = Webhook(secret).verify(created.body, created.headers)["data"]
    assert first["evidence"] == [] and first["evidence_pending"] == 1
    [added] = _of_type(receiver, "referral.evidence_added")
    [entry] = Webhook(secret).verify(added.body, added.headers)["data"]["evidence"]
    assert entry["id"] == str(photo.pk)
    _check_link(client, entry)
