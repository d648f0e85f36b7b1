"""The web journey page by page, without a browser."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client

from reports.models import Report

pytestmark = pytest.mark.usefixtures("reference_data")

PAGES: list[tuple[str, dict[str, Any]]] = [
    ("who", {"reporter_role": "victim", "anonymous": "no"}),
    (
        "what",
        {
            "incident_types": ["verbal-abuse"],
            "account": "Shouted abuse about my religion outside the mosque",
            "when_kind": "date",
            "occurred_on": "2026-10-30",
            "still_happening": "no",
        },
    ),
    (
        "where",
        {
            "location_kind": "street",
            "area": "E09000030",
            "location_description": "Whitechapel Road",
        },
    ),
    ("why", {"strands": ["religion"]}),
    ("people", {"perpetrator_known": "no", "happened_before": "no"}),
    ("evidence", {}),
    (
        "support",
        {
            "wants_support": "yes",
            "wants_police_told": "yes",
            "consent_share_with_support": "on",
            "contact_methods": ["email"],
            "contact_email": "journey.person@example.org",
            "contact_name": "Journey Person",
        },
    ),
]


def answer_all(client: Client, pages: list[tuple[str, dict[str, Any]]] = PAGES) -> None:
    for slug, data in pages:
        response = client.post(f"/report/{slug}/", data)
        assert response.status_code == 302, (slug, response.content[:2000])


def test_the_whole_journey_ends_with_reference_secret_and_fitting_services(client: Client) -> None:
    answer_all(client)
    check = client.get("/report/check-your-answers/")
    assert check.status_code == 200
    assert b"Whitechapel Road" in check.content and b"Tower Hamlets" in check.content
    response = client.post("/report/check-your-answers/")
    assert response["Location"] == "/report/confirmation/"
    page = client.get("/report/confirmation/")
    report = Report.objects.get()
    assert report.reference.encode() in page.content
    assert b"Tell MAMA" in page.content  # religion, national
    assert b"CATCH" in page.content  # every strand, London
    assert b"Disability Direct" not in page.content  # Derbyshire, disability
    assert report.channel == "web"


def test_the_secret_is_shown_once(client: Client) -> None:
    answer_all(client)
    client.post("/report/check-your-answers/")
    first = client.get("/report/confirmation/")
    second = client.get("/report/confirmation/")
    assert b'id="secret"' in first.content
    assert b'id="secret"' not in second.content
    assert b"This page has expired" in second.content


def test_answers_survive_a_refresh_and_going_back(client: Client) -> None:
    answer_all(client, PAGES[:2])
    page = client.get("/report/what/")
    assert b"Shouted abuse about my religion" in page.content
    assert b'value="verbal-abuse" checked' in page.content


def test_jumping_ahead_returns_to_the_first_unanswered_page(client: Client) -> None:
    answer_all(client, PAGES[:1])
    assert client.get("/report/support/")["Location"] == "/report/what/"
    assert client.get("/report/check-your-answers/")["Location"] == "/report/what/"


def test_a_change_from_check_your_answers_returns_there(client: Client) -> None:
    answer_all(client)
    change = client.get("/report/where/?change=1")
    assert b'href="/report/check-your-answers/"' in change.content
    response = client.post(
        "/report/where/?change=1",
        {"location_kind": "online", "area": "E09000030", "online_platform": "A video site"},
    )
    assert response["Location"] == "/report/check-your-answers/"
    assert b"A video site" in client.get("/report/check-your-answers/").content


def test_errors_are_summarised_and_linked_to_their_fields(client: Client) -> None:
    response = client.post("/report/who/", {})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="error-summary"' in html
    assert 'href="#id_reporter_role_0"' in html and 'href="#id_anonymous_0"' in html
    assert 'id="id_reporter_role-error"' in html
    assert "<title>Error:" in html


def test_an_anonymous_reporter_is_not_asked_for_contact_details(client: Client) -> None:
    pages = [("who", {"reporter_role": "witness", "anonymous": "yes"}), *PAGES[1:6]]
    answer_all(client, pages)
    support = client.get("/report/support/")
    assert b"contact_email" not in support.content
    response = client.post("/report/support/", {"wants_support": "no", "wants_police_told": "yes"})
    assert response.status_code == 302
    client.post("/report/check-your-answers/")
    report = Report.objects.get()
    assert report.anonymous and report.reporter_role == "witness" and report.contact_email == ""


def test_a_report_on_behalf_of_someone_without_their_knowledge(client: Client) -> None:
    pages = [("who", {"reporter_role": "on_behalf_unknown", "anonymous": "no"}), *PAGES[1:]]
    answer_all(client, pages)
    client.post("/report/check-your-answers/")
    assert Report.objects.get().reporter_role == "on_behalf_unknown"


def test_a_draft_is_encrypted_in_the_session_table(client: Client) -> None:
    answer_all(client, PAGES[:2])
    with connection.cursor() as cursor:
        cursor.execute("SELECT session_data FROM django_session")
        stored = " ".join(row[0] for row in cursor.fetchall())
    assert "Shouted abuse" not in stored and "mosque" not in stored


def test_pages_are_never_cached_and_titles_are_neutral(client: Client) -> None:
    for url in ("/", "/report/", "/report/who/", "/support/", "/follow-up/"):
        response = client.get(url)
        assert "no-store" in response["Cache-Control"], url
        title = response.content.decode().split("<title>")[1].split("</title>")[0]
        assert "hate" not in title.lower(), (url, title)


def test_a_double_submission_creates_one_report(client: Client) -> None:
    answer_all(client)
    client.post("/report/check-your-answers/")
    second = client.post("/report/check-your-answers/")
    assert second.status_code == 302 and second["Location"] == "/report/who/"
    assert Report.objects.count() == 1


def test_an_unknown_page_is_404(client: Client) -> None:
    assert client.get("/report/nonsense/").status_code == 404
