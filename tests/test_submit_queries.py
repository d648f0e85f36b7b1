"""What a submission costs the database, pinned (issue 2's bench goal).

A report, its strands and incident types, its event, and the referrals it
implies with their events and deliveries are written with one statement
each, in one transaction; the reference data and the referral directory come
from the per-process cache (reports.caching), so nothing is read back. The
first submission in a process loads the caches; these tests count the next,
with what runs after commit (one message to the broker queues all of a
report's deliveries; no statement).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from referrals.models import Delivery, Referral
from reports.models import Report
from tests.test_journey_views import answer_all

pytestmark = pytest.mark.usefixtures("reference_data")
URL = "/api/v1/reports/"

# SAVEPOINT and RELEASE (a transaction inside the test's own: BEGIN and
# COMMIT in service) around INSERTs of the report, its incident types, its
# strands, its event, the referrals, their events and their deliveries.
SUBMIT_QUERIES = 9
# Each test submits the same person twice: the second report is linked to
# the first as a repeat victim: one INSERT of the link to the latest earlier
# report by email and by phone blind index (referrals.case_services).
REPEAT_LINK = 1


def _post(client: Client, body: dict[str, Any]) -> Any:
    response = client.post(URL, json.dumps(body), content_type="application/json")
    assert response.status_code == 201, response.content
    return response


def test_an_api_submission_is_nine_statements(
    client: Client,
    valid_report: dict[str, Any],
    django_assert_num_queries: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    _post(client, valid_report)  # loads the caches
    with (
        django_assert_num_queries(SUBMIT_QUERIES + REPEAT_LINK),
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        response = _post(client, valid_report)
    assert len(callbacks) == 1
    report = Report.objects.get(reference=response.json()["reference"])
    assert sorted(report.strands.values_list("code", flat=True)) == ["race", "religion"]
    assert sorted(report.incident_types.values_list("code", flat=True)) == [
        "threats",
        "verbal-abuse",
    ]
    kinds = sorted(report.referrals.values_list("kind", flat=True))
    assert kinds == ["police", "support"]
    assert Delivery.objects.filter(referral__report=report, status="pending").count() == 2
    assert len(set(Delivery.objects.values_list("message_id", flat=True))) == (
        Delivery.objects.count()
    )


def test_an_api_submission_without_referrals_is_six_statements(
    client: Client,
    valid_report: dict[str, Any],
    django_assert_num_queries: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    _post(client, valid_report)
    valid_report["who"]["anonymous"] = True
    valid_report["support"] = {"wants_support": False, "wants_police_told": False}
    with (
        django_assert_num_queries(SUBMIT_QUERIES - 3),
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        response = _post(client, valid_report)
    assert callbacks == []
    report = Report.objects.get(reference=response.json()["reference"])
    assert not Referral.objects.filter(report=report).exists()


def test_the_check_your_answers_post_adds_the_session(
    client: Client, django_assert_num_queries: Any, django_capture_on_commit_callbacks: Any
) -> None:
    answer_all(client)
    client.post("/report/check-your-answers/")  # loads the caches
    answer_all(client)
    # The same submission (one referral here: the reporter did not agree to
    # tell the police), whose one delivery is queued directly after commit
    # with its last_queued_at UPDATE; and the session: read, then its key
    # cycled (Django's own: an existence check, an INSERT in a savepoint,
    # the old row read and deleted, the new one updated in a savepoint); and
    # the evidence: the browser's staged files listed for the page, then
    # claimed (selected and counted against the limit) in the transaction.
    with (
        # The repeat-victim link is the same one statement (email only).
        django_assert_num_queries(SUBMIT_QUERIES + 1 + 10 + 3 + REPEAT_LINK) as captured,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post("/report/check-your-answers/")
    assert response.status_code == 302
    session = [q for q in captured.captured_queries if "django_session" in q["sql"]]
    assert len(session) == 6
