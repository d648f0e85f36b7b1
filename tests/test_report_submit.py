from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth.hashers import check_password
from django.db import connection

from privacy.crypto import blind_index
from reports.models import Report, ReportEvent
from reports.signals import report_submitted
from tests.helpers import submit

pytestmark = pytest.mark.usefixtures("reference_data")


def test_submit_saves_the_report_with_its_reference_data(valid_report: dict[str, Any]) -> None:
    submission = submit(valid_report)
    report = Report.objects.with_reference_data().get(pk=submission.report.pk)
    assert re.fullmatch(r"HC-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}", report.reference)
    assert report.area.name == "Lambeth"
    assert report.area.police_force.code == "metropolitan"
    assert sorted(s.code for s in report.strands.all()) == ["race", "religion"]
    assert sorted(t.code for t in report.incident_types.all()) == ["threats", "verbal-abuse"]
    assert report.account == valid_report["what"]["account"]
    assert report.contact_email == "amara.okafor@example.org"
    assert report.status == Report.Status.RECEIVED


def test_submit_records_a_submitted_event(valid_report: dict[str, Any]) -> None:
    report = submit(valid_report).report
    assert list(ReportEvent.objects.filter(report=report).values_list("kind", flat=True)) == [
        "submitted"
    ]


def test_the_follow_up_secret_is_80_bits_grouped_and_stored_only_as_a_hash(
    valid_report: dict[str, Any],
) -> None:
    submission = submit(valid_report)
    assert re.fullmatch(
        r"([0-9A-HJKMNP-TV-Z]{4}-){3}[0-9A-HJKMNP-TV-Z]{4}", submission.follow_up_secret
    )
    stored = Report.objects.get(pk=submission.report.pk).follow_up_secret_hash
    assert submission.follow_up_secret.replace("-", "") not in stored
    assert stored.startswith("followup_pbkdf2_sha256$")
    assert check_password(submission.follow_up_secret.replace("-", ""), stored)


def test_contact_details_and_account_are_not_stored_in_plaintext(
    valid_report: dict[str, Any],
) -> None:
    report = submit(valid_report).report
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM reports_report WHERE id = %s", [report.pk])
        row = " ".join(str(value) for value in cursor.fetchone())
    for secret_text in (
        "Amara Okafor",
        "amara.okafor@example.org",
        "07700 900123",
        "Two men shouted abuse",
        "Brixton Road",
        "SW9 8EQ",
        "racist words",
        "Two men in their twenties",
        "Weekdays after 6pm",
    ):
        assert secret_text not in row, secret_text


def test_blind_indexes_match_normalised_contact_details(valid_report: dict[str, Any]) -> None:
    report = submit(valid_report).report
    assert report.contact_email_index == blind_index("email", "  Amara.Okafor@Example.org ")
    assert report.contact_phone_index == blind_index("phone", "+44 7700 900 123")
    assert report.contact_email_index != blind_index("email", "someone.else@example.org")


def test_an_anonymous_report_keeps_no_contact_details(valid_report: dict[str, Any]) -> None:
    valid_report["who"]["anonymous"] = True
    report = submit(valid_report).report
    assert (report.contact_name, report.contact_email, report.contact_phone) == ("", "", "")
    assert report.contact_email_index == report.contact_phone_index == ""
    assert report.consent_share_with_police is False


def test_a_third_party_report_records_the_organisation(valid_report: dict[str, Any]) -> None:
    valid_report["who"] = {
        "reporter_role": "organisation",
        "organisation_name": "Brixton Reporting Centre",
        "anonymous": False,
    }
    report = submit(valid_report).report
    assert report.reporter_role == "organisation"
    assert report.organisation_name == "Brixton Reporting Centre"


def test_submission_is_announced_inside_the_transaction(valid_report: dict[str, Any]) -> None:
    seen: list[bool] = []

    def receiver(sender: Any, report: Report, **kwargs: Any) -> None:
        seen.append(connection.in_atomic_block and Report.objects.filter(pk=report.pk).exists())

    report_submitted.connect(receiver)
    try:
        submit(valid_report)
    finally:
        report_submitted.disconnect(receiver)
    assert seen == [True]


def test_a_failing_receiver_leaves_nothing_stored(valid_report: dict[str, Any]) -> None:
    def receiver(sender: Any, report: Report, **kwargs: Any) -> None:
        raise RuntimeError("referrals could not be written")

    report_submitted.connect(receiver)
    try:
        with pytest.raises(RuntimeError):
            submit(valid_report)
    finally:
        report_submitted.disconnect(receiver)
    assert Report.objects.count() == 0
    assert ReportEvent.objects.count() == 0
