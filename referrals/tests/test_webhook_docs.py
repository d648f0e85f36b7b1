"""The Python examples for recipients (docs/webhooks.md's receiver and
README's verify function) run, and verify our real deliveries."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.test import Client

from referrals.models import Delivery, DeliveryMethod, PoliceForceChannel, Provider
from referrals.services import delivery_send
from referrals.tests.conftest import report_post
from referrals.tests.servers import Receiver
from referrals.webhooks import webhook_headers, webhook_secret_new

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "webhooks.md"
README = ROOT / "README.md"


def _run(document: Path, secret: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Run a document's one Python example, as a recipient would, with their secret."""
    [code] = re.findall(r"```python\n(.*?)```", document.read_text(), flags=re.S)
    monkeypatch.setenv("REFERRALS_WEBHOOK_SECRET", secret)
    namespace: dict[str, Any] = {"__name__": "webhook_example"}
    exec(compile(code, str(document), "exec"), namespace)  # noqa: S102 (our own document)
    return namespace


def _example(secret: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    return _run(DOC, secret, monkeypatch)


def _webhooks_to(url: str, secret: str) -> None:
    """Every provider and police force delivers to ``url`` with ``secret``."""
    for channel in [*Provider.objects.all(), *PoliceForceChannel.objects.all()]:
        channel.delivery_method = DeliveryMethod.WEBHOOK
        channel.webhook_url = url
        channel.webhook_secret = secret
        channel.save()


def test_the_documented_receiver_verifies_our_signature_and_rejects_tampering(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    secret = webhook_secret_new()
    example = _example(secret, monkeypatch)
    body = json.dumps({"type": "referral.created", "data": {"referral_id": 1}}).encode()
    headers = webhook_headers(
        secret=secret, message_id="msg_1", timestamp=int(time.time()), body=body
    )
    assert example["verify"](body, headers) == json.loads(body)
    assert example["verify"](body.replace(b"1", b"2"), headers) is None
    other = _example(webhook_secret_new(), monkeypatch)
    assert other["verify"](body, headers) is None


@pytest.fixture
def documented_receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, str, Any]]:
    """docs/webhooks.md's receiver, serving on loopback: (url, secret, its namespace)."""
    secret = webhook_secret_new()
    example = _example(secret, monkeypatch)
    server = example["HTTPServer"](("127.0.0.1", 0), example["Receiver"])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/referrals", secret, example
    server.shutdown()
    server.server_close()


@pytest.mark.django_db
def test_the_documented_receiver_takes_real_deliveries_once_and_refuses_forgeries(
    client: Client,
    reference_data: None,
    documented_receiver: tuple[str, str, Any],
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, secret, example = documented_receiver
    _webhooks_to(url, secret)
    report = report_post(client)
    deliveries = list(Delivery.objects.filter(referral__report=report))
    assert len(deliveries) == 2  # its police force and a support service

    for delivery in deliveries:
        assert delivery_send(delivery_id=delivery.pk) == "sent"
    printed = capsys.readouterr().out
    for delivery in deliveries:
        assert f"new referral {delivery.referral_id} reference {report.reference}" in printed
    assert example["processed"] == {delivery.message_id for delivery in deliveries}

    # A retry carries the same webhook-id: acknowledged, not handled twice.
    again = deliveries[0]
    Delivery.objects.filter(pk=again.pk).update(status="pending", claimed_until=None)
    assert delivery_send(delivery_id=again.pk) == "sent"
    assert "new referral" not in capsys.readouterr().out

    # A request signed with another secret is refused, and handled by nobody.
    body = b'{"type":"referral.created","data":{"referral_id":1,"reference":"HC-FAKE"}}'
    forged = webhook_headers(
        secret=webhook_secret_new(), message_id="msg_forged", timestamp=int(time.time()), body=body
    )
    assert httpx.post(url, content=body, headers=forged).status_code == 400
    assert "msg_forged" not in example["processed"]


@pytest.mark.django_db
def test_the_readme_example_verifies_a_real_delivery_and_rejects_tampering(
    client: Client, reference_data: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = webhook_secret_new()
    example = _run(README, secret, monkeypatch)
    receiver = Receiver().start()
    try:
        _webhooks_to(receiver.url, secret)
        report = report_post(client)
        delivery = Delivery.objects.get(referral__report=report, referral__kind="police")
        assert delivery_send(delivery_id=delivery.pk) == "sent"
    finally:
        receiver.stop()
    [got] = receiver.received
    referral = example["referral_from"](got.body, got.headers)
    assert referral == json.loads(got.body)
    assert referral["data"]["reference"] == report.reference
    altered = got.body.replace(report.reference.encode(), b"HC-0000-0000")
    assert example["referral_from"](altered, got.headers) is None
    assert (
        _run(README, webhook_secret_new(), monkeypatch)["referral_from"](got.body, got.headers)
        is None
    )
