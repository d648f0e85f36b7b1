"""Production settings, security headers, health and metrics endpoints, logs."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION_ENV = {
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/hatecrime_deploy_check",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "DEBUG": "false",
    "SECRET_KEY": "kZ3q9V7x_m2P8r5T1w4Y6u0I-oA3sD5fG7hJ9kL1zX3cV5bN7mQ9wE2rT4yU6iO8",
    "FIELD_ENCRYPTION_KEYS": "a2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2s=",
    "BLIND_INDEX_KEY": "production-like-blind-index-key",
    "ALLOWED_HOSTS": "report.example.org",
}


def run_manage(*args: str, **overrides: str) -> subprocess.CompletedProcess[str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(
            ("SECURE_", "THROTTLE_", "DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC")
        )
    }
    environment.update({**PRODUCTION_ENV, **overrides})
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_settings_pass_the_deployment_checklist() -> None:
    result = run_manage("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_logs_can_be_json_lines() -> None:
    result = run_manage(
        "shell",
        "-c",
        "import logging; logging.getLogger('reports').warning('hello')",
        LOG_FORMAT="json",
    )
    line = next(line for line in result.stderr.splitlines() if "hello" in line)
    record = json.loads(line)
    assert (
        record["message"] == "hello"
        and record["level"] == "WARNING"
        and record["logger"] == "reports"
    )


@pytest.mark.django_db
@pytest.mark.usefixtures("reference_data")
@pytest.mark.parametrize("url", ["/", "/report/who/", "/support/", "/follow-up/", "/api/docs/"])
def test_pages_carry_a_strict_content_security_policy_and_no_inline_script(
    client: Client, url: str
) -> None:
    response = client.get(url)
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    script_src = re.search(r"script-src ([^;]*)", policy)
    assert script_src and "unsafe-inline" not in script_src.group(1)
    assert "frame-ancestors 'none'" in policy
    html = response.content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline script"
    assert "cdn" not in html.lower()
    assert "geolocation=()" in response["Permissions-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"


@pytest.mark.django_db
def test_liveness(client: Client) -> None:
    assert client.get("/health/live").json() == {"status": "ok"}


@pytest.mark.django_db
def test_readiness_checks_database_broker_and_storage(client: Client) -> None:
    response = client.get("/health/ready")
    assert response.status_code == 200, response.content
    assert set(response.json()["checks"]) == {"database", "broker", "storage"}


@pytest.mark.django_db
def test_readiness_names_a_dependency_that_is_down(client: Client, settings: Any) -> None:
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    response = client.get("/health/ready")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["broker"]["ok"] is False and checks["database"]["ok"] is True


@pytest.mark.django_db
def test_metrics_are_served_to_loopback_or_with_the_token(client: Client, settings: Any) -> None:
    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1")
    assert response.status_code == 200
    assert b"django_http_requests_before_middlewares_total" in response.content
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 404
    settings.METRICS_TOKEN = "scrape-token"
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 404
    assert (
        client.get(
            "/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer scrape-token"
        ).status_code
        == 200
    )


@pytest.mark.django_db
def test_metrics_show_the_outbox_the_queues_and_the_evidence_waiting(
    client: Client, reference_data: None, valid_report: dict[str, Any]
) -> None:
    """The service collector reports what a scrape must see across processes:
    pending deliveries (read from the outbox), queue depths from the broker,
    evidence not cleared; counts only, never a report's words."""
    from prometheus_client.parser import text_string_to_metric_families

    from referrals.models import Delivery
    from tests.helpers import submit

    submit(valid_report)
    pending = Delivery.objects.filter(status=Delivery.Status.PENDING).count()
    assert pending > 0
    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1")
    assert response.status_code == 200
    text = response.content.decode()
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name.startswith("hatecrime_")
    }
    assert samples[("hatecrime_deliveries_waiting", (("status", "pending"),))] == pending
    assert samples[("hatecrime_deliveries_waiting", (("status", "failed"),))] == 0
    assert samples[("hatecrime_delivery_oldest_pending_seconds", ())] >= 0
    assert samples[("hatecrime_evidence_items", (("status", "quarantined"),))] == 0
    assert {name for name, labels in samples if name == "hatecrime_queue_depth"}
    assert ("hatecrime_queue_depth", (("queue", "delivery"),)) in samples
    assert valid_report["what"]["account"] not in text
