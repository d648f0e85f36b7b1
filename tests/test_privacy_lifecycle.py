"""Retention on a clock, legal holds, and subject rights requests."""

from __future__ import annotations

import copy
import datetime
import io
import json
import zipfile
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.files.storage import default_storage
from django.db import DatabaseError, transaction

from audit.models import AccessLogEntry, AccessLogErasure
from audit.services import audit_record, audit_verify
from privacy.models import RetentionPolicy, SubjectRequest
from privacy.services import (
    legal_hold_set,
    retention_apply,
    subject_request_confirm_identity,
    subject_request_create,
    subject_request_erase,
    subject_request_export,
)
from reports.models import AdditionalInformation, Report
from reports.services import report_add_information
from tests.helpers import submit

pytestmark = pytest.mark.usefixtures("reference_data")
NOW = datetime.datetime(2026, 6, 1, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture
def officer() -> User:
    return User.objects.create_user("dpo", "dpo@example.org", "a long enough password 1")


def report_made(valid_report: dict[str, Any], days_ago: int, **support: Any) -> Report:
    body = copy.deepcopy(valid_report)
    body["support"].update(support)
    made = NOW - datetime.timedelta(days=days_ago)
    body["what"]["occurred_on"] = (made - datetime.timedelta(days=1)).date().isoformat()
    with time_machine.travel(made, tick=False):
        return submit(body).report


def test_retention_anonymises_exactly_what_is_due_and_nothing_held(
    valid_report: dict[str, Any], officer: User
) -> None:
    RetentionPolicy.objects.filter(record_kind="report").update(keep_for_days=365)
    due = report_made(valid_report, 400)
    report_add_information(report=due, text="More detail about the attack")
    recent = report_made(valid_report, 100)
    held = report_made(valid_report, 500)
    legal_hold_set(
        record_kind="report",
        object_id=str(held.pk),
        reason="Trial in progress",
        acting_user=officer,
    )

    with time_machine.travel(NOW, tick=False):
        run = retention_apply()

    due.refresh_from_db()
    assert (due.account, due.contact_email, due.contact_name, due.contact_email_index) == (
        "",
        "",
        "",
        "",
    )
    assert due.anonymised_at is not None
    assert due.strands.count() == 2 and due.area.code == "E09000022"  # the figures remain
    assert not AdditionalInformation.objects.filter(report=due).exists()
    for kept in (recent, held):
        kept.refresh_from_db()
        assert kept.account == valid_report["what"]["account"] and kept.anonymised_at is None
    result = run.results["report"]
    assert (result["action"], result["count"], result["held"]) == ("anonymise", 1, 1)
    assert result["ids"] == [str(due.pk)]


def test_the_access_log_is_cut_only_by_retention_and_still_verifies() -> None:
    RetentionPolicy.objects.filter(record_kind="access_log").update(keep_for_days=30)
    with time_machine.travel(NOW - datetime.timedelta(days=60), tick=False):
        for number in range(3):
            audit_record(
                actor=None, action="view", object_type="reports.report", object_id=str(number)
            )
    with time_machine.travel(NOW - datetime.timedelta(days=5), tick=False):
        audit_record(actor=None, action="view", object_type="reports.report", object_id="recent")
    with time_machine.travel(NOW, tick=False):
        run = retention_apply()
    assert run.results["access_log"]["count"] == 3
    assert list(
        AccessLogEntry.objects.exclude(object_type="privacy.retentionrun").values_list(
            "object_id", flat=True
        )
    ) == ["recent"]
    assert AccessLogErasure.objects.get().count == 3
    assert audit_verify() == []
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AccessLogEntry.objects.all().delete()


def test_an_access_request_is_due_in_one_calendar_month() -> None:
    received = datetime.datetime(2028, 1, 31, 10, 0, tzinfo=datetime.UTC)
    request = subject_request_create(
        kind="access", requester_name="A", email="a@example.org", received_at=received
    )
    assert request.due_by == datetime.date(2028, 2, 29)


def test_the_access_export_holds_everything_about_the_person_and_nothing_else(
    valid_report: dict[str, Any], officer: User
) -> None:
    by_email = report_made(valid_report, 10)
    by_phone = report_made(
        valid_report, 5, contact_email="other.address@example.org", contact_phone="+44 7700 900123"
    )
    someone_else = report_made(
        valid_report,
        3,
        contact_name="Zed Unrelated",
        contact_email="zed.unrelated@example.org",
        contact_phone="07700 900999",
    )
    someone_else.account = "ZED-CANARY account text"
    Report.objects.filter(pk=someone_else.pk).update(account=someone_else.account)

    request = subject_request_create(
        kind="access",
        requester_name="Amara Okafor",
        email="AMARA.okafor@example.org",
        phone="07700 900123",
    )
    assert subject_request_export(request_id=request.pk) is None  # identity not confirmed yet
    subject_request_confirm_identity(
        request=request, how="Passport seen in person", acting_user=officer
    )
    subject_request_export(request_id=request.pk)

    request.refresh_from_db()
    assert request.status == SubjectRequest.Status.READY
    with default_storage.open(request.export_file) as stored:
        archive = zipfile.ZipFile(io.BytesIO(stored.read()))
    data = json.loads(archive.read("data.json"))
    summary = archive.read("summary.txt").decode()
    references = {record["reference"] for record in data["Reports"]}
    assert references == {by_email.reference, by_phone.reference}
    assert "Zed" not in summary + json.dumps(data) and "ZED-CANARY" not in summary + json.dumps(
        data
    )
    assert valid_report["what"]["account"] in summary


def test_erasure_keeps_only_what_the_case_worker_records_a_reason_for(
    valid_report: dict[str, Any], officer: User
) -> None:
    first = report_made(valid_report, 10)
    second = report_made(valid_report, 5)
    request = subject_request_create(
        kind="erasure", requester_name="Amara", email="amara.okafor@example.org"
    )
    with pytest.raises(ValueError, match="Confirm"):
        subject_request_erase(request=request, acting_user=officer, keep_ids={}, exceptions="")
    subject_request_confirm_identity(request=request, how="Video call with ID", acting_user=officer)
    with pytest.raises(ValueError, match="why"):
        subject_request_erase(
            request=request,
            acting_user=officer,
            keep_ids={"report": [str(second.pk)]},
            exceptions="",
        )
    counts = subject_request_erase(
        request=request,
        acting_user=officer,
        keep_ids={"report": [str(second.pk)]},
        exceptions="Open police investigation (UK GDPR Art. 17(3)(e))",
    )
    assert counts == {"report": 1, "evidence": 0, "referral": 2, "case": 0}
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.account == "" and second.account == valid_report["what"]["account"]
    closed = SubjectRequest.objects.get()
    assert closed.status == "closed" and closed.closed_at is not None


def test_the_confirmation_page_says_how_long_the_report_is_kept(client: Any) -> None:
    from tests.test_journey_views import answer_all

    # The policy every deployment starts with (privacy.defaults).
    assert RetentionPolicy.objects.get(record_kind="report").keep_for_days == 6 * 365
    answer_all(client)
    client.post("/report/check-your-answers/")
    page = client.get("/report/confirmation/").content.decode()
    assert "We keep your report for 6 years." in page


def test_a_system_administrator_sets_and_lifts_a_hold_in_the_staff_site() -> None:
    from audit.roles import Role
    from privacy.models import LegalHold
    from tests.staff import make_staff, signed_in

    sam = make_staff("sam", Role.SYSTEM_ADMINISTRATOR)
    client = signed_in(sam)
    response = client.post(
        "/staff/privacy/legalhold/add/",
        {"record_kind": "report", "object_id": "HC-AAAA-BBBB", "reason": "Trial in June"},
    )
    assert response.status_code == 302, response.content[:2000]
    hold = LegalHold.objects.get()
    assert (hold.set_by, hold.object_id, hold.lifted_at) == (sam, "HC-AAAA-BBBB", None)
    # A hold is never edited: the change page shows it read-only.
    page = client.get(f"/staff/privacy/legalhold/{hold.pk}/change/").content.decode()
    assert 'name="reason"' not in page and "Trial in June" in page
    client.post("/staff/privacy/legalhold/", {"action": "lift", "_selected_action": [hold.pk]})
    hold.refresh_from_db()
    assert hold.lifted_by == sam and hold.lifted_at is not None
    assert (
        AccessLogEntry.objects.filter(
            object_type="privacy.legalhold", actor_id=sam.pk, action="change"
        ).count()
        == 2
    )
    # Policies are edited with their legal basis; an action the kind cannot take is refused.
    policy = RetentionPolicy.objects.get(record_kind="case")
    refused = client.post(
        f"/staff/privacy/retentionpolicy/{policy.pk}/change/",
        {"keep_for_days": 100, "action": "erase", "legal_basis": "x"},
    )
    assert refused.status_code == 200 and b"can only be" in refused.content
    policy.refresh_from_db()
    assert policy.keep_for_days == 6 * 365


def access_export_ready(officer: User) -> SubjectRequest:
    request = subject_request_create(
        kind="access", requester_name="Amara Okafor", email="amara.okafor@example.org"
    )
    subject_request_confirm_identity(request=request, how="Passport seen", acting_user=officer)
    exported = subject_request_export(request_id=request.pk)
    assert exported is not None
    return exported


def test_the_export_is_downloaded_checked_and_deleted_once_sent(
    valid_report: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    from audit.roles import Role
    from tests.staff import make_staff, signed_in

    report_made(valid_report, 3)
    sam = make_staff("sam", Role.SYSTEM_ADMINISTRATOR)
    request = access_export_ready(sam)
    client = signed_in(sam)
    url = f"/staff/privacy/subjectrequest/{request.pk}/export/"

    page = client.get(f"/staff/privacy/subjectrequest/{request.pk}/change/").content.decode()
    assert url in page
    # Staff who do not handle subject requests cannot fetch it.
    triage = signed_in(make_staff("tia", Role.TRIAGE_OFFICER))
    assert triage.get(url).status_code in (302, 403)

    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert valid_report["what"]["account"] in archive.read("summary.txt").decode()
    downloads = AccessLogEntry.objects.filter(
        object_type="privacy.subjectrequest", object_id=str(request.pk), action="download"
    )
    assert [(e.actor_id, e.detail) for e in downloads] == [
        (sam.pk, {"sha256": request.export_sha256})
    ]

    # A stored file that no longer matches what was made is never sent.
    name = request.export_file
    default_storage.delete(name)
    default_storage.save(name, io.BytesIO(b"not the export"))
    refused = client.get(url, follow=True)
    assert b"does not match" in refused.content and refused.request["PATH_INFO"].endswith(
        "/change/"
    )

    with django_capture_on_commit_callbacks(execute=True):  # the file goes after commit
        client.post(
            "/staff/privacy/subjectrequest/",
            {"action": "record_sent", "_selected_action": [request.pk]},
        )
    request.refresh_from_db()
    assert (request.status, request.export_file, request.handled_by) == ("closed", "", sam)
    assert request.export_sha256 and request.closed_at is not None
    assert not default_storage.exists(name)
    assert client.get(url, follow=True).status_code == 200  # back to the page, with a message
    assert AccessLogEntry.objects.filter(
        object_id=str(request.pk), action="delete", actor_id=sam.pk
    ).exists()


def test_retention_deletes_exports_nobody_recorded_as_sent(
    officer: User, django_capture_on_commit_callbacks: Any
) -> None:
    with time_machine.travel(NOW - datetime.timedelta(days=31), tick=False):
        stale = access_export_ready(officer)
        held = access_export_ready(officer)
    with time_machine.travel(NOW - datetime.timedelta(days=5), tick=False):
        recent = access_export_ready(officer)
    legal_hold_set(
        record_kind="subject_export",
        object_id=str(held.pk),
        reason="Complaint to the ICO",
        acting_user=officer,
    )

    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
        run = retention_apply()

    assert run.results["subject_export"]["ids"] == [str(stale.pk)]
    stale_file = stale.export_file
    stale.refresh_from_db()
    assert (stale.status, stale.export_file, stale.export_ready_at) == ("confirmed", "", None)
    assert stale.export_sha256  # the record of what was made stays
    assert not default_storage.exists(stale_file)
    for kept in (held, recent):
        kept.refresh_from_db()
        assert kept.status == "ready" and default_storage.exists(kept.export_file)
