from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from referrals.models import Delivery, Provider, Referral
from referrals.services import delivery_send, provider_token_issue
from referrals.tests.conftest import report_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def delivered(client: Client, reference_data: None) -> Referral:
    """A support referral, delivered (by email notice) to its provider."""
    report = report_post(client)
    referral = report.referrals.get(kind="support")
    delivery_send(delivery_id=Delivery.objects.get(referral=referral).pk)
    referral.refresh_from_db()
    assert referral.delivery_status == "delivered"
    return referral


def _auth(provider: Provider) -> dict[str, str]:
    _token, key = provider_token_issue(provider=provider, name="case system")
    return {"Authorization": f"Bearer {key}"}


def _provider(referral: Referral) -> Provider:
    assert referral.service is not None
    return referral.service.provider


def test_provider_sees_its_referral_with_what_the_victim_agreed_to_share(
    client: Client, delivered: Referral
) -> None:
    response = client.get(
        f"/api/v1/provider/referrals/{delivered.pk}/", headers=_auth(_provider(delivered))
    )
    assert response.status_code == 200
    body = response.json()
    assert body["reference"] == delivered.report.reference
    assert body["report_data"]["contact_email"] == "amara.okafor@example.org"
    assert "account" not in body["report_data"]
    listing = client.get("/api/v1/provider/referrals/", headers=_auth(_provider(delivered)))
    assert [r["id"] for r in listing.json()] == [delivered.pk]


def test_another_providers_referral_is_not_found(client: Client, delivered: Referral) -> None:
    other = Provider.objects.exclude(pk=_provider(delivered).pk).first()
    assert other is not None
    headers = _auth(other)
    assert (
        client.get(f"/api/v1/provider/referrals/{delivered.pk}/", headers=headers).status_code
        == 404
    )
    response = client.post(
        f"/api/v1/provider/referrals/{delivered.pk}/accept/",
        {},
        content_type="application/json",
        headers=headers,
    )
    assert response.status_code == 404
    assert client.get("/api/v1/provider/referrals/", headers=headers).json() == []


@pytest.mark.parametrize("header", [None, "Bearer not-a-key", "Bearer", "Token abc", "Bearer a b"])
def test_a_bad_or_missing_key_is_refused(
    client: Client, delivered: Referral, header: str | None
) -> None:
    extra = {"Authorization": header} if header else {}
    response = client.get(f"/api/v1/provider/referrals/{delivered.pk}/", headers=extra)
    assert response.status_code == 401
    assert "errors" in response.json()


def test_a_revoked_key_is_refused(client: Client, delivered: Referral) -> None:
    headers = _auth(_provider(delivered))
    _provider(delivered).api_tokens.update(revoked=True)
    assert client.get("/api/v1/provider/referrals/", headers=headers).status_code == 401


@pytest.mark.parametrize(
    "body",
    [{}, {"reason": ""}, {"reason": ["a list"]}, {"reason": "x" * 2001}, "not json"],
)
def test_a_malformed_decline_is_a_400_with_field_paths(
    client: Client, delivered: Referral, body: Any
) -> None:
    response = client.post(
        f"/api/v1/provider/referrals/{delivered.pk}/decline/",
        body,
        content_type="application/json",
        headers=_auth(_provider(delivered)),
    )
    assert response.status_code == 400
    assert response.json()["errors"]
    delivered.refresh_from_db()
    assert delivered.outcome == ""


def test_accept_then_decline_is_a_conflict(client: Client, delivered: Referral) -> None:
    headers = _auth(_provider(delivered))
    url = f"/api/v1/provider/referrals/{delivered.pk}"
    assert client.post(f"{url}/acknowledge/", headers=headers).status_code == 200
    response = client.post(
        f"{url}/accept/",
        {"advocate_name": "Sam Advocate"},
        content_type="application/json",
        headers=headers,
    )
    assert response.status_code == 200
    assert response.json()["outcome"] == "accepted"
    response = client.post(
        f"{url}/decline/", {"reason": "too late"}, content_type="application/json", headers=headers
    )
    assert response.status_code == 409
    assert client.post(f"{url}/contacted/", headers=headers).json()["first_contact_at"]


def test_declined_referral_is_rerouted_to_the_next_service(
    client: Client, delivered: Referral
) -> None:
    response = client.post(
        f"/api/v1/provider/referrals/{delivered.pk}/decline/",
        {"reason": "We have no capacity in Lambeth this month."},
        content_type="application/json",
        headers=_auth(_provider(delivered)),
    )
    assert response.status_code == 200
    assert response.json()["rerouted"] is True
    support = Referral.objects.filter(report=delivered.report, kind="support").order_by("id")
    assert support.count() == 2
    first, second = support
    assert first.outcome == "declined"
    assert first.decline_reason == "We have no capacity in Lambeth this month."
    assert second.service != first.service
    assert second.deliveries.get().status == "pending"


def test_the_provider_api_is_in_the_openapi_schema(client: Client) -> None:
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    text = response.content.decode()
    assert "/api/v1/provider/referrals/{referral_id}/decline/" in text
    assert "providerKey" in text


def test_referral_list_takes_a_fixed_number_of_queries(
    client: Client, delivered: Referral, django_assert_max_num_queries: Any
) -> None:
    headers = _auth(_provider(delivered))
    for _ in range(3):
        report = report_post(client)
        for referral in report.referrals.filter(service=delivered.service):
            delivery_send(delivery_id=Delivery.objects.get(referral=referral).pk)
    with django_assert_max_num_queries(6):
        response = client.get("/api/v1/provider/referrals/", headers=headers)
    assert len(response.json()) >= 2
