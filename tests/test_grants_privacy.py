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
                    or prefix.startswith("staff/grants/")
                    or str(pattern.pattern) in ("", "staff/grants/")
                ):
                    walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern) and prefix.startswith("staff/grants/"):
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
        "/staff/grants/export/360giving.csv",
        "/staff/grants/insights/?csv=area",
        "/staff/grants/insights/?csv=month",
        "/staff/grants/insights/?csv=strand",
        "/staff/grants/?csv=portfolio",
        "/staff/grants/pcd-543-male-survivors/?csv=outcomes",
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
    html = client.get("/staff/grants/insights/").content.decode()
    assert "&lt;5" in html
    assert ">3<" not in html
    csv_body = client.get("/staff/grants/insights/?csv=area").content.decode()
    assert "Lambeth,<5" in csv_body
    assert "Total,<5" in csv_body
