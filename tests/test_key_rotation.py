from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from privacy.fields import EncryptedTextField
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


def test_rotation_covers_every_encrypted_field_in_every_app(
    settings: Any, valid_report: dict[str, Any]
) -> None:
    """Every model with an encrypted field is seeded (a model added later
    without a row here fails the test), rotated, and read back with only the
    new key configured."""
    from django.contrib.auth.models import User

    from privacy.rotation import encrypted_columns
    from privacy.services import subject_request_create
    from referrals.case_models import Case
    from referrals.case_services import (
        case_action_add,
        case_needs_assess,
        case_note_add,
        case_safety_plan_record,
    )
    from referrals.models import Delivery, PoliceForceChannel, Provider
    from referrals.services import delivery_send, referral_accept

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [old]
    valid_report["what"]["other_incident_type"] = "Graffiti on the door"
    report = submit(valid_report).report
    report_add_information(report=report, text="They came back")
    for delivery in Delivery.objects.filter(referral__report=report):
        delivery_send(delivery_id=delivery.pk)
    advocate = User.objects.create_user("ada", password="x" * 16)
    referral_accept(referral=report.referrals.get(kind="support"), acting_user=advocate)
    case = Case.objects.get()
    case_note_add(case=case, acting_user=advocate, text="Spoke on the phone")
    case_needs_assess(case=case, acting_user=advocate, needs=[], notes="Needs a letter")
    case_safety_plan_record(case=case, acting_user=advocate, plan="Walk with a friend")
    case_action_add(
        case=case,
        acting_user=advocate,
        description="Write to the council",
        due_on=report.submitted_at.date(),
    )
    subject_request_create(kind="access", requester_name="Amara Okafor", email="a@example.org")
    provider = Provider.objects.first()
    assert provider is not None
    provider.webhook_secret = "whsec_provider"
    provider.save()
    channel = PoliceForceChannel.objects.first()
    assert channel is not None
    channel.webhook_secret = "whsec_police"
    channel.save()

    def values() -> dict[tuple[str, Any, str], str]:
        found = {}
        for model, _columns in encrypted_columns():
            fields = [
                f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)
            ]
            for row in model._default_manager.values("pk", *fields):
                for name in fields:
                    if row[name]:
                        found[(model._meta.label, row["pk"], name)] = row[name]
        return found

    before = values()
    assert {label for label, _pk, _name in before} == {
        model._meta.label for model, _columns in encrypted_columns()
    }
    settings.FIELD_ENCRYPTION_KEYS = [new, old]
    call_command("rotate_encryption_keys", "--batch-size", "1", stdout=StringIO())
    settings.FIELD_ENCRYPTION_KEYS = [new]
    assert values() == before
