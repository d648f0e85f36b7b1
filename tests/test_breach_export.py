"""Breach support: every record a staff account touched in a period."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
import time_machine

from audit.models import AccessLogEntry
from audit.roles import Role
from audit.services import audit_record
from tests.staff import make_staff, signed_in

pytestmark = pytest.mark.django_db


def test_a_system_administrator_exports_what_one_account_touched_in_a_period() -> None:
    mallory = make_staff("mallory", Role.ADVOCATE)
    other = make_staff("ada", Role.ADVOCATE)
    with time_machine.travel(datetime.datetime(2026, 3, 1, 12, tzinfo=datetime.UTC), tick=False):
        audit_record(
            actor=mallory,
            action="view",
            object_type="reports.report",
            object_id="1",
            report_reference="HC-AAAA-0001",
        )
    with time_machine.travel(datetime.datetime(2026, 3, 3, 23, tzinfo=datetime.UTC), tick=False):
        audit_record(
            actor=mallory, action="download", object_type="evidence.evidenceitem", object_id="9"
        )
        audit_record(actor=other, action="view", object_type="reports.report", object_id="2")
    with time_machine.travel(datetime.datetime(2026, 4, 1, 12, tzinfo=datetime.UTC), tick=False):
        audit_record(actor=mallory, action="view", object_type="reports.report", object_id="3")

    client = signed_in(make_staff("sam", Role.SYSTEM_ADMINISTRATOR))
    response = client.get(
        "/staff/access-by-account/?username=mallory&start=2026-03-01&end=2026-03-31"
    )
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.getvalue().decode())))
    assert [(row["action"], row["object_id"]) for row in rows] == [("view", "1"), ("download", "9")]
    export = AccessLogEntry.objects.get(action="export", actor_username="sam")
    assert export.detail == {
        "breach_export_of": "mallory",
        "start": "2026-03-01",
        "end": "2026-03-31",
    }


def test_only_system_administrators_may_export_it() -> None:
    client = signed_in(make_staff("tara", Role.TRIAGE_OFFICER))
    assert (
        client.get(
            "/staff/access-by-account/?username=x&start=2026-03-01&end=2026-03-02"
        ).status_code
        == 403
    )


def test_the_form_explains_a_bad_period() -> None:
    client = signed_in(make_staff("sam", Role.SYSTEM_ADMINISTRATOR))
    page = client.get("/staff/access-by-account/?username=x&start=2026-03-05&end=2026-03-01")
    assert page.status_code == 200 and b"on or after the start" in page.content
