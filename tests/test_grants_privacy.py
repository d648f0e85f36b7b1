"""A commissioning officer sees grants and aggregates, never a victim's details.

Every page and export under grants/ is fetched, by a commissioning officer,
with reports on file; no victim's name, contact details, account or
location may appear in any of them.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from grants.access import COMMISSIONING_OFFICER_GROUP
from grants.models import MonitoringReturn

pytestmark = pytest.mark.django_db

SECRETS = [
    "Amara Okafor",
    "amara.okafor@example.org",
    "07700 900123",
    "Two men shouted abuse",
    "Bus stop on Brixton Road",
    "SW9 8EQ",
    "Two men in their twenties",
]


def _grants_routes() -> list[str]:
    resolver = get_resolver()
    routes: list[str] = []

    def walk(patterns: list[Any], prefix: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if (
                    pattern.app_name == "grants"
                    or prefix.startswith("commissioning/")
                    or str(pattern.pattern) in ("", "commissioning/")
                ):
                    walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern) and prefix.startswith("commissioning/"):
                routes.append(prefix + str(pattern.pattern))

    walk(resolver.url_patterns, "")
    return routes


def test_no_grants_url_shows_a_victim_s_details(
    reference_data: None, valid_report: dict[str, Any]
) -> None:
    call_command("seed_demo", verbosity=0)
    api = Client()
    for _ in range(6):
        response = api.post(
            "/api/v1/reports/", copy.deepcopy(valid_report), content_type="application/json"
        )
        assert response.status_code == 201, response.content
    officer = User.objects.create_user("olivia", is_staff=True)
    officer.groups.add(Group.objects.get_or_create(name=COMMISSIONING_OFFICER_GROUP)[0])
    client = Client()
    client.force_login(officer)

    monitoring_return = MonitoringReturn.objects.first()
    assert monitoring_return is not None
    concrete = {
        "<slug:reference>": "pcd-543-male-survivors",
        "<int:pk>": str(monitoring_return.pk),
        "<str:fmt>": "json",
    }
    routes = _grants_routes()
    assert len(routes) >= 7
    urls = []
    for route in routes:
        url = "/" + route
        for placeholder, value in concrete.items():
            url = url.replace(placeholder, value)
        urls.append(url)
    urls += [
        "/commissioning/export/360giving.csv",
        "/commissioning/insights/?csv=area",
        "/commissioning/insights/?csv=month",
        "/commissioning/insights/?csv=strand",
        "/commissioning/insights/?csv=police-outcomes",
        "/commissioning/insights/?csv=repeat-strand",
        "/commissioning/insights/?csv=satisfaction",
        "/commissioning/insights/?csv=feedback-provider",
        "/commissioning/insights/?csv=feedback-area",
        "/commissioning/insights/?csv=funnel",
        "/commissioning/insights/?csv=first-contact",
        "/commissioning/?csv=portfolio",
        "/commissioning/pcd-543-male-survivors/?csv=outcomes",
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code in (200, 302, 404, 405), url
        body = response.content.decode()
        for secret in SECRETS:
            assert secret not in body, f"{secret!r} shown at {url}"


def test_insights_suppress_small_counts(reference_data: None, valid_report: dict[str, Any]) -> None:
    api = Client()
    for _ in range(3):
        response = api.post(
            "/api/v1/reports/", copy.deepcopy(valid_report), content_type="application/json"
        )
        assert response.status_code == 201
    officer = User.objects.create_user("olivia", is_staff=True)
    officer.groups.add(Group.objects.get_or_create(name=COMMISSIONING_OFFICER_GROUP)[0])
    client = Client()
    client.force_login(officer)
    html = client.get("/commissioning/insights/").content.decode()
    assert "&lt;5" in html
    assert ">3<" not in html
    csv_body = client.get("/commissioning/insights/?csv=area").content.decode()
    assert "Lambeth,<5" in csv_body
    assert "Total,<5" in csv_body


def test_commissioning_role_grants_no_admin_access_to_victim_records(db: None) -> None:
    """The role itself carries no model permissions: the admin's report, evidence
    and case pages stay closed to it, whatever gets registered there later."""
    from django.contrib import admin

    officer = User.objects.create_user("olivia", is_staff=True)
    officer.groups.add(Group.objects.get_or_create(name=COMMISSIONING_OFFICER_GROUP)[0])
    client = Client()
    client.force_login(officer)
    checked = 0
    for model in admin.site._registry:
        if model._meta.app_label in ("reports", "evidence", "referrals", "audit"):
            url = f"/staff/{model._meta.app_label}/{model._meta.model_name}/"
            assert client.get(url).status_code == 403, url
            checked += 1
    assert checked > 0
