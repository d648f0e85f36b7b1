"""Triage in the staff site: who sees which reports, and every look logged."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from audit.models import AccessLogEntry
from audit.roles import Role
from reports.models import Report, ReportEvent, Strand
from tests.helpers import submit
from tests.staff import make_staff, signed_in

pytestmark = pytest.mark.usefixtures("reference_data")


@pytest.fixture
def report(valid_report: dict[str, Any]) -> Report:
    return submit(valid_report).report


def change_url(report: Report) -> str:
    return f"/staff/reports/report/{report.pk}/change/"


def test_a_triage_officer_opens_a_report_and_the_look_is_logged(report: Report) -> None:
    tara = make_staff("tara", Role.TRIAGE_OFFICER)
    client = signed_in(tara)
    page = client.get(change_url(report))
    assert page.status_code == 200
    assert b"Two men shouted abuse" in page.content
    entry = AccessLogEntry.objects.get(action="view", object_type="reports.report")
    assert (entry.actor_username, entry.report_reference, entry.outcome) == (
        "tara",
        report.reference,
        "allowed",
    )
    assert "shouted" not in str(entry.detail)


def test_people_without_a_reports_role_see_no_reports(report: Report) -> None:
    for role in (
        Role.ADVOCATE,
        Role.COMMISSIONING_OFFICER,
        Role.POLICE_LIAISON,
        Role.PROVIDER_MANAGER,
    ):
        client = signed_in(make_staff(f"user-{role.name.lower()}", role))
        assert client.get("/staff/reports/report/").status_code == 403
        assert client.get(change_url(report)).status_code in (403, 404)
        assert report.reference.encode() not in client.get("/staff/").content


def test_a_reporting_centre_worker_sees_only_the_reports_they_entered(
    report: Report, valid_report: dict[str, Any]
) -> None:
    worker = make_staff("rita", Role.REPORTING_CENTRE_WORKER)
    own = submit(valid_report, channel="assisted", acting_user=worker).report
    client = signed_in(worker)
    listing = client.get("/staff/reports/report/")
    assert own.reference.encode() in listing.content
    assert report.reference.encode() not in listing.content
    assert client.get(change_url(own)).status_code == 200
    assert client.get(change_url(report)).status_code == 404
    denied = AccessLogEntry.objects.get(outcome="denied")
    assert (denied.actor_username, denied.object_id) == ("rita", str(report.pk))
    # Not even the history of someone else's report.
    assert client.get(f"/staff/reports/report/{report.pk}/history/").status_code == 404


def test_a_guessed_id_that_does_not_exist_is_also_404() -> None:
    client = signed_in(make_staff("tara", Role.TRIAGE_OFFICER))
    assert client.get("/staff/reports/report/999999/change/").status_code == 404


def test_triage_changes_need_a_reason_and_go_on_the_timeline(report: Report) -> None:
    client = signed_in(make_staff("tara", Role.TRIAGE_OFFICER))
    disability = Strand.objects.get(code="disability")
    form = {"status": "in_review", "strands": [disability.pk], "area": report.area_id}
    inline = {
        "additions-TOTAL_FORMS": "0",
        "additions-INITIAL_FORMS": "0",
        "events-TOTAL_FORMS": "1",
        "events-INITIAL_FORMS": "1",
    }
    refused = client.post(change_url(report), {**form, **inline})
    assert refused.status_code == 200
    assert b"Say why you are changing this report" in refused.content
    done = client.post(
        change_url(report), {**form, **inline, "reason": "Victim is disabled; race not mentioned"}
    )
    assert done.status_code == 302
    report.refresh_from_db()
    assert report.status == "in_review"
    assert list(report.strands.values_list("code", flat=True)) == ["disability"]
    event = ReportEvent.objects.get(report=report, kind="triaged")
    assert event.data == {
        "changes": {
            "status": ["received", "in_review"],
            "strands": [["race", "religion"], ["disability"]],
        },
        "reason": "Victim is disabled; race not mentioned",
    }


def test_the_report_list_runs_a_fixed_number_of_queries(valid_report: dict[str, Any]) -> None:
    client = signed_in(make_staff("tara", Role.TRIAGE_OFFICER))

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/staff/reports/report/").status_code == 200
        return len(captured)

    submit(valid_report)
    few = queries()
    for _ in range(20):
        submit(valid_report)
    assert queries() == few


def test_a_signed_in_reporting_centre_worker_makes_an_assisted_report(client: Client) -> None:
    worker = make_staff("rita", Role.REPORTING_CENTRE_WORKER)
    staff_client = signed_in(worker)
    from tests.test_journey_views import answer_all

    answer_all(staff_client)
    staff_client.post("/report/check-your-answers/")
    report = Report.objects.get()
    assert report.channel == "assisted" and report.created_by == worker
