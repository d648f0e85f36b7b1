from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from reports.models import Report

pytestmark = pytest.mark.usefixtures("reference_data")
URL = "/api/v1/reports/"


def post(client: Client, body: Any, **extra: Any) -> Any:
    payload = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(URL, payload, content_type="application/json", **extra)


def fields(response: Any) -> set[str]:
    return {error["field"] for error in response.json()["errors"]}


def test_create_returns_reference_and_secret(client: Client, valid_report: dict[str, Any]) -> None:
    response = post(client, valid_report)
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {"reference", "follow_up_secret", "status"}
    report = Report.objects.get(reference=body["reference"])
    assert report.channel == "api"


def test_read_with_reference_and_secret(client: Client, valid_report: dict[str, Any]) -> None:
    created = post(client, valid_report).json()
    response = client.get(
        f"{URL}{created['reference']}/", HTTP_X_FOLLOW_UP_SECRET=created["follow_up_secret"].lower()
    )
    assert response.status_code == 200
    body = response.json()
    assert body["reference"] == created["reference"]
    assert body["status"] == "received"
    assert "received your report" in body["status_text"]
    assert "contact_email" not in body and "account" not in body


def test_read_with_a_wrong_secret_or_unknown_reference_is_the_same_404(
    client: Client, valid_report: dict[str, Any]
) -> None:
    created = post(client, valid_report).json()
    wrong = client.get(
        f"{URL}{created['reference']}/", HTTP_X_FOLLOW_UP_SECRET="AAAA-AAAA-AAAA-AAAA"
    )
    unknown = client.get(f"{URL}HC-0000-0000/", HTTP_X_FOLLOW_UP_SECRET=created["follow_up_secret"])
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.json() == unknown.json()


@pytest.mark.parametrize(
    "body",
    [
        "{not json",
        "",
        "[]",
        "null",
        '"a string"',
        "12",
        b"\xff\xfe\x00garbage",
        '{"who": "victim"}',
        '{"who": [], "what": 5}',
    ],
)
def test_malformed_bodies_are_400_json(client: Client, body: Any) -> None:
    response = post(client, body)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["errors"]


def test_missing_sections_are_named(client: Client) -> None:
    response = post(client, {})
    assert response.status_code == 400
    assert fields(response) == {"who", "what", "where", "why", "people", "support"}


def test_wrong_types_are_reported_with_field_paths(
    client: Client, valid_report: dict[str, Any]
) -> None:
    valid_report["who"]["anonymous"] = "perhaps"
    valid_report["what"]["incident_types"] = "verbal-abuse"
    valid_report["what"]["account"] = {"text": "nested"}
    valid_report["what"]["occurred_on"] = 20260101
    valid_report["support"]["contact_methods"] = [["email"]]
    response = post(client, valid_report)
    assert response.status_code == 400
    assert fields(response) == {
        "who.anonymous",
        "what.incident_types",
        "what.account",
        "what.occurred_on",
        "support.contact_methods",
    }


def test_oversized_fields_are_refused(client: Client, valid_report: dict[str, Any]) -> None:
    valid_report["what"]["account"] = "x" * 20001
    valid_report["where"]["location_description"] = "y" * 1001
    response = post(client, valid_report)
    assert response.status_code == 400
    assert fields(response) == {"what.account", "where.location_description"}


def test_a_body_over_the_upload_limit_is_400_not_500(
    client: Client, valid_report: dict[str, Any]
) -> None:
    valid_report["what"]["account"] = "x" * 3_000_000
    response = post(client, valid_report)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"


def test_unknown_strand_and_area_use_the_forms_validation(
    client: Client, valid_report: dict[str, Any]
) -> None:
    valid_report["why"]["strands"] = ["race", "astrology"]
    valid_report["where"]["area"] = "atlantis"
    response = post(client, valid_report)
    assert response.status_code == 400
    errors = {e["field"]: e["code"] for e in response.json()["errors"]}
    assert errors == {"why.strands": "invalid_choice", "where.area": "invalid_choice"}


def test_cross_field_rules_match_the_web_form(client: Client, valid_report: dict[str, Any]) -> None:
    valid_report["support"]["contact_methods"] = ["text"]
    valid_report["support"]["contact_phone"] = ""
    response = post(client, valid_report)
    assert response.status_code == 400
    assert {e["field"]: e["code"] for e in response.json()["errors"]} == {
        "support.contact_phone": "required"
    }


def test_null_characters_are_refused(client: Client, valid_report: dict[str, Any]) -> None:
    valid_report["where"]["online_platform"] = "bad\u0000platform"
    valid_report["where"]["location_kind"] = "online"
    response = post(client, valid_report)
    assert response.status_code == 400


def test_creating_is_throttled_per_client(
    client: Client, valid_report: dict[str, Any], settings: Any
) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "report_create": "2/hour",
        },
    }
    assert post(client, valid_report).status_code == 201
    assert post(client, valid_report).status_code == 201
    third = post(client, valid_report)
    assert third.status_code == 429
    assert third.json()["errors"][0]["code"] == "throttled"
    assert Report.objects.count() == 2


def test_unknown_api_urls_answer_json(client: Client) -> None:
    response = client.get("/api/v1/nothing-here/")
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "not_found"


def test_schema_documents_both_operations(client: Client) -> None:
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    text = response.content.decode()
    assert "report_create" in text and "report_status" in text
    assert "X-Follow-Up-Secret" in text
