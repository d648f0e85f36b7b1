from __future__ import annotations

import copy
from typing import Any

import pytest
from django.test import Client

from referrals.models import DeliveryMethod, Provider, Service
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
