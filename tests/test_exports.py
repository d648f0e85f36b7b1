"""Staff exports of big tables stream rows read by key, a batch at a time."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import AccessLogEntry
from audit.roles import Role
from reports.models import Report
from tests.helpers import submit
from tests.staff import make_staff, signed_in

pytestmark = pytest.mark.usefixtures("reference_data")


def test_exporting_every_report_streams_them_in_order_without_offset(
    valid_report: dict[str, Any],
) -> None:
    references = [submit(valid_report).report.reference for _ in range(4)]
    client = signed_in(make_staff("tara", Role.TRIAGE_OFFICER))
    response = client.post(
        "/staff/reports/report/",
        {
            "action": "export_csv",
            "select_across": "1",
            "index": "0",
            "_selected_action": [Report.objects.first().pk],  # type: ignore[union-attr]
        },
    )
    assert response.status_code == 200
    assert response.streaming
    with CaptureQueriesContext(connection) as queries:
        content = response.getvalue().decode()
    rows = list(csv.DictReader(io.StringIO(content)))
    assert [row["reference"] for row in rows] == references
    assert rows[0]["contact_email"] == valid_report["support"]["contact_email"]
    assert not any("OFFSET" in q["sql"].upper() for q in queries.captured_queries)
    entry = AccessLogEntry.objects.get(action="export")
    assert entry.detail == {"count": 4, "references": references}
