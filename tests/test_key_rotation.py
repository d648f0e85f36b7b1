from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from reports.models import AdditionalInformation, Report
from reports.services import report_add_information
from tests.helpers import submit

pytestmark = pytest.mark.usefixtures("reference_data")


def stored_account(report: Report) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT account FROM reports_report WHERE id = %s", [report.pk])
        return str(cursor.fetchone()[0])


def test_rotation_leaves_every_record_readable_under_the_new_key_alone(
    settings: Any, valid_report: dict[str, Any]
) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [old]
    reports = [submit(valid_report).report for _ in range(5)]
    report_add_information(report=reports[0], text="Something more")
    before = stored_account(reports[0])

    settings.FIELD_ENCRYPTION_KEYS = [new, old]
    output = StringIO()
    call_command("rotate_encryption_keys", "--batch-size", "2", stdout=output)
    assert "reports_report: 5 rows" in output.getvalue()
    assert stored_account(reports[0]) != before

    settings.FIELD_ENCRYPTION_KEYS = [new]
    for report in Report.objects.all():
        assert report.account == valid_report["what"]["account"]
        assert report.contact_email == valid_report["support"]["contact_email"]
    assert AdditionalInformation.objects.get().text == "Something more"


def test_rotation_stops_on_a_value_no_key_can_read(
    settings: Any, valid_report: dict[str, Any]
) -> None:
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    submit(valid_report)
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(ValueError, match="cannot be decrypted with any configured key"):
        call_command("rotate_encryption_keys", stdout=StringIO())
