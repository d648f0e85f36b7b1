"""Evidence in referral payloads, as the real loopback receiver gets them:
police get signed, short-lived links to the originals with their SHA-256;
only files scanned clean; support services get no evidence (nor the account)."""

from __future__ import annotations

import copy
import hashlib
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.db import transaction
from django.test import Client
from standardwebhooks.webhooks import Webhook

from audit.models import AccessLogEntry
from evidence import services
from evidence.models import CustodyEvent, EvidenceItem
from evidence.tests.conftest import (  # noqa: F401 (fixtures)
    _evidence_settings,
    clamd,
    clamd_socket,
    jpeg_with_location,
    pdf_with_eicar,
)
from evidence.tests.helpers import processed, upload_bytes
from referrals import payloads
from referrals.models import Delivery
from referrals.services import delivery_send
from referrals.tests.servers import Receiver
from reports.models import Report
from reports.services import report_consent_withdraw
from tests.conftest import VALID_REPORT
from tests.helpers import submit

pytestmark = pytest.mark.usefixtures("reference_data", "_evidence_settings", "clamd")


@pytest.fixture
def report() -> Report:
    report = submit(copy.deepcopy(VALID_REPORT)).report
    photo = processed(jpeg_with_location(), filename="bus stop.jpg")
    infected = processed(pdf_with_eicar())
    waiting = upload_bytes(jpeg_with_location())  # not yet scanned
    with transaction.atomic():
        services.evidence_claim(
            report=report, owner=photo.owner, evidence_ids=[photo.pk, infected.pk, waiting.pk]
        )
    return report


def _send(report: Report, kind: str, receiver: Receiver, secret: str) -> dict[str, Any]:
    delivery = Delivery.objects.get(referral__report=report, referral__kind=kind, kind="referral")
    assert delivery_send(delivery_id=delivery.pk) == "sent"
    got = receiver.received[-1]
    data: dict[str, Any] = Webhook(secret).verify(got.body, got.headers)["data"]
    return data


def test_police_payload_links_only_clean_evidence_with_the_original_hash(
    client: Client, report: Report, receiver: Receiver, secret: str
) -> None:
    data = _send(report, "police", receiver, secret)
    photo = report.evidence.get(status=EvidenceItem.Status.CLEAN)
    [entry] = data["evidence"]
    assert {k: entry[k] for k in ("id", "kind", "version", "sha256", "size")} == {
        "id": str(photo.pk),
        "kind": "image",
        "version": "original",
        "sha256": photo.sha256,
        "size": photo.size,
    }
    assert entry["url_expires_at"]
    assert data["evidence_pending"] == 1  # the quarantined file is never mentioned

    # The police recipient fetches the link: the original, hash-checked.
    response = client.get(urlsplit(entry["url"]).path)
    assert response.status_code == 200
    body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert hashlib.sha256(body).hexdigest() == entry["sha256"] == response["X-Evidence-SHA256"]
    assert response["Content-Disposition"].startswith("attachment")
    assert "no-store" in response["Cache-Control"]
    custody = photo.custody.get(action=CustodyEvent.Action.DOWNLOADED)
    assert custody.acting_user is None and custody.sha256 == photo.sha256
    assert custody.detail["via"] == "signed link"
    assert custody.detail["recipient"] == report.area.police_force.name
    logged = AccessLogEntry.objects.get(action="download", outcome="allowed")
    assert (logged.object_id, logged.report_reference) == (str(photo.pk), report.reference)


def test_an_altered_link_finds_nothing(
    client: Client, report: Report, receiver: Receiver, secret: str
) -> None:
    [entry] = _send(report, "police", receiver, secret)["evidence"]
    path = urlsplit(entry["url"]).path
    token = path.rstrip("/").rsplit("/", 1)[1]
    forged = path.replace(token, token[:-2] + ("AA" if token[-2:] != "AA" else "BB"))
    assert client.get(forged).status_code == 404


def test_withdrawing_police_consent_stops_links_already_sent(
    client: Client, report: Report, receiver: Receiver, secret: str
) -> None:
    [entry] = _send(report, "police", receiver, secret)["evidence"]
    report_consent_withdraw(report=report, police=True, support=False)
    assert client.get(urlsplit(entry["url"]).path).status_code == 404
    denied = AccessLogEntry.objects.get(outcome="denied")
    assert denied.detail == {"via": "signed link", "why": "consent"}


def test_support_payload_carries_no_evidence(
    report: Report, receiver: Receiver, secret: str
) -> None:
    data = _send(report, "support", receiver, secret)
    assert not set(data) & set(payloads.EVIDENCE_FIELDS)
    assert b"evidence/links" not in receiver.received[-1].body
