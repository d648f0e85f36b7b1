from __future__ import annotations

import copy
from collections.abc import Iterator
from email.message import Message
from typing import Any

import pytest
from django.test import Client
from pytest_django.fixtures import Settings

from referrals.models import DeliveryMethod, PoliceForceChannel, Provider, Service
from referrals.tests.servers import Receiver, smtp_server
from referrals.webhooks import webhook_secret_new
from reports.models import Report
from tests.conftest import VALID_REPORT, reference_data, valid_report

__all__ = ["reference_data", "valid_report"]


def report_post(client: Client, data: dict[str, Any] | None = None) -> Report:
    """Submit a report the way the reporting app does (the public API)."""
    response = client.post(
        "/api/v1/reports/", data or copy.deepcopy(VALID_REPORT), content_type="application/json"
    )
    assert response.status_code == 201, response.content
    return Report.objects.get(reference=response.json()["reference"])


def provider_webhook_set(provider: Provider, url: str) -> str:
    secret = webhook_secret_new()
    provider.delivery_method = DeliveryMethod.WEBHOOK
    provider.webhook_url = url
    provider.webhook_secret = secret
    provider.save()
    return secret


@pytest.fixture
def galop_lgbt(reference_data: None) -> Service:
    return Service.objects.get(provider__slug="galop", name="LGBT+ hate crime support")


@pytest.fixture
def smtp(settings: Settings) -> Iterator[list[Message]]:
    """A real SMTP server on loopback, and Django sending to it."""
    with smtp_server() as (port, messages):
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = port
        yield messages


def report_post_with_secret(
    client: Client, data: dict[str, Any] | None = None
) -> tuple[Report, str]:
    response = client.post(
        "/api/v1/reports/", data or copy.deepcopy(VALID_REPORT), content_type="application/json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    return Report.objects.get(reference=body["reference"]), body["follow_up_secret"]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A real webhook receiver on loopback."""
    receiver = Receiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture
def secret(receiver: Receiver) -> str:
    """Every provider and police force delivers by webhook to ``receiver``,
    signed with the returned secret."""
    secret = webhook_secret_new()
    PoliceForceChannel.objects.update(
        delivery_method=DeliveryMethod.WEBHOOK, webhook_url=receiver.url, webhook_secret=secret
    )
    for provider in Provider.objects.all():
        provider.delivery_method = DeliveryMethod.WEBHOOK
        provider.webhook_url = receiver.url
        provider.webhook_secret = secret
        provider.save()
    return secret
