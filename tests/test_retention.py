"""The retention job on a clock, across every record kind, and the access
request's export across every app.

Each person is seeded through the services, as the product makes them: a
report with a photo (scanned by a real clamd, with its thumbnail and
location-stripped copy), its referrals delivered, the support referral
accepted as a case with notes, needs, a safety plan, an action and outcome
measures, a police crime reference, then the case closed.
"""

from __future__ import annotations

import copy
import datetime
import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.files.storage import default_storage
from django.db.models import Q

from audit.models import AccessLogEntry
from audit.roles import Role
from audit.services import audit_verify
from evidence.models import CustodyEvent, Derivative, EvidenceItem
from evidence.services import owner_digest
from evidence.tests.conftest import clamd, clamd_socket, jpeg_with_location  # noqa: F401
from evidence.tests.helpers import processed
from privacy.models import RetentionPolicy, RetentionRun, SubjectRequest
from privacy.services import (
    legal_hold_lift,
    legal_hold_set,
    retention_apply,
    subject_request_confirm_identity,
    subject_request_create,
    subject_request_erase,
    subject_request_export,
)
from referrals.case_models import (
    Case,
    CaseAction,
    CaseNote,
    NeedsAssessment,
    OutcomeMeasure,
    PoliceResponse,
    SafetyPlan,
)
from referrals.case_services import (
    case_action_add,
    case_close,
    case_needs_assess,
    case_note_add,
    case_outcomes_record,
    case_safety_plan_record,
    membership_add,
    police_response_record,
)
from referrals.models import Delivery, Referral, ReferralEvent, StaffMembership
from referrals.services import delivery_send, referral_accept
from reports.models import Report
from reports.services import report_add_information
from tests.helpers import submit
from tests.staff import make_staff

pytestmark = pytest.mark.usefixtures("reference_data", "clamd")
NOW = datetime.datetime(2026, 6, 1, 12, 0, tzinfo=datetime.UTC)
YEAR = 365
MEASURES = {
    "feeling_safer": 2,
    "health_wellbeing": 3,
    "coping_everyday": 2,
    "informed": 1,
    "confidence_justice": 2,
}


@pytest.fixture(autouse=True)
def _private_storage(settings: Any, tmp_path: Path) -> Path:
    location = tmp_path / "private"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(location), "base_url": None},
        },
    }
    return location


@pytest.fixture
def officer() -> User:
    return make_staff("dpo", Role.SYSTEM_ADMINISTRATOR)


@pytest.fixture
def advocate() -> User:
    return make_staff("ada", Role.ADVOCATE)


def policies(days: int = YEAR, access_log_days: int = 30) -> None:
    for kind in ("report", "evidence", "referral", "case"):
        RetentionPolicy.objects.filter(record_kind=kind).update(keep_for_days=days)
    RetentionPolicy.objects.filter(record_kind="access_log").update(keep_for_days=access_log_days)


@dataclass
class Person:
    marker: str
    report: Report
    item: EvidenceItem
    files: list[str]
    support: Referral
    police: Referral
    case: Case


def seed_person(
    valid_report: dict[str, Any],
    advocate: User,
    *,
    marker: str,
    days_ago: int,
    image_size: tuple[int, int],
    email: str | None = None,
    phone: str | None = None,
    close_case: bool = True,
) -> Person:
    """One person's whole record, made ``days_ago`` days before NOW."""
    body = copy.deepcopy(valid_report)
    body["what"]["account"] = f"{marker} was shouted at by two men."
    body["support"].update(
        contact_name=f"{marker} Person",
        contact_email=email or f"{marker.lower()}@example.org",
        contact_phone=phone or "",
        contact_methods=["email", "phone"] if phone else ["email"],
    )
    made = NOW - datetime.timedelta(days=days_ago)
    body["what"]["occurred_on"] = (made - datetime.timedelta(days=1)).date().isoformat()
    owner = owner_digest(f"{marker}-session-token-0123456789")
    with time_machine.travel(made, tick=False):
        item = processed(jpeg_with_location(image_size), owner=owner, filename=f"{marker}.jpg")
        report = submit(body, evidence_owner=owner).report
        report_add_information(report=report, text=f"{marker} remembered more.")
        for delivery in Delivery.objects.filter(referral__report=report):
            delivery_send(delivery_id=delivery.pk)
        support = report.referrals.get(kind="support")
        police = report.referrals.get(kind="police")
        assert support.service is not None
        if not StaffMembership.objects.filter(user=advocate).exists():
            membership_add(user=advocate, provider=support.service.provider, acting_user=None)
        referral_accept(
            referral=support,
            advocate=advocate,
            advocate_name=f"{marker} Advocate",
            acting_user=advocate,
        )
        case = Case.objects.get(referral=support)
        case_note_add(case=case, acting_user=advocate, text=f"{marker} note")
        case_needs_assess(
            case=case, acting_user=advocate, needs=["emotional_support"], notes=f"{marker} needs"
        )
        case_safety_plan_record(case=case, acting_user=advocate, plan=f"{marker} plan")
        case_action_add(
            case=case,
            acting_user=advocate,
            description=f"{marker} action",
            due_on=made.date() + datetime.timedelta(days=7),
        )
        case_outcomes_record(case=case, acting_user=advocate, stage="intake", measures=MEASURES)
        police_response_record(
            referral=police, acting_user=advocate, crime_reference=f"CR-{marker}"
        )
    if close_case:
        with time_machine.travel(made + datetime.timedelta(days=10), tick=False):
            case_outcomes_record(
                case=case, acting_user=advocate, stage="closure", measures=MEASURES
            )
            case_close(case=case, acting_user=advocate, reason="support_completed")
    item.refresh_from_db()
    files = [item.storage_name, *item.derivatives.values_list("storage_name", flat=True)]
    assert len(files) == 3 and all(default_storage.exists(name) for name in files)
    return Person(marker, report, item, files, support, police, Case.objects.get(pk=case.pk))


def assert_untouched(person: Person) -> None:
    report = Report.objects.get(pk=person.report.pk)
    assert report.anonymised_at is None and person.marker in report.account
    assert report.additions.count() == 1
    item = EvidenceItem.objects.get(pk=person.item.pk)
    assert item.status == EvidenceItem.Status.CLEAN and item.erased_at is None
    assert all(default_storage.exists(name) for name in person.files)
    assert item.derivatives.count() == 2
    for referral in (person.support, person.police):
        assert Referral.objects.get(pk=referral.pk).anonymised_at is None
    assert PoliceResponse.objects.get(referral=person.police).crime_reference == (
        f"CR-{person.marker}"
    )
    case = Case.objects.get(pk=person.case.pk)
    assert case.anonymised_at is None
    assert CaseNote.objects.get(case=case).text == f"{person.marker} note"
    assert SafetyPlan.objects.get(case=case).plan == f"{person.marker} plan"


def assert_report_anonymised(person: Person) -> None:
    report = Report.objects.get(pk=person.report.pk)
    assert report.anonymised_at is not None
    assert (report.account, report.contact_name, report.contact_email) == ("", "", "")
    assert report.contact_email_index == "" and not report.additions.exists()
    assert report.strands.count() == 2 and report.area.code == "E09000022"


def assert_evidence_erased(person: Person) -> None:
    item = EvidenceItem.objects.get(pk=person.item.pk)
    assert item.status == EvidenceItem.Status.ERASED and item.erased_at is not None
    assert item.sha256 == person.item.sha256 and item.size == person.item.size  # the hash stays
    assert (item.storage_name, item.filename, item.metadata) == ("", "", {})
    assert not Derivative.objects.filter(item=item).exists()
    assert not any(default_storage.exists(name) for name in person.files)
    custody = list(item.custody.values_list("action", flat=True))
    # The chain of custody is kept whole, with the erasure at its end.
    assert custody[0] == CustodyEvent.Action.RECEIVED and custody[-1] == CustodyEvent.Action.ERASED
    assert CustodyEvent.Action.DERIVED in custody and CustodyEvent.Action.CLAIMED in custody


def assert_case_anonymised(person: Person) -> None:
    case = Case.objects.get(pk=person.case.pk)
    assert case.anonymised_at is not None
    assert not CaseNote.objects.filter(case=case).exists()
    assert NeedsAssessment.objects.get(case=case).notes == ""
    assert NeedsAssessment.objects.get(case=case).emotional_support  # the need stays
    assert SafetyPlan.objects.get(case=case).plan == ""
    assert CaseAction.objects.get(case=case).description == ""
    # What the grants' outcome figures count stays.
    assert OutcomeMeasure.objects.filter(case=case).count() == 2
    assert (case.status, case.closure_reason, case.risk_level) == (
        "closed",
        "support_completed",
        person.case.risk_level,
    )


def test_retention_erases_exactly_what_is_due_across_every_kind_and_nothing_held(
    valid_report: dict[str, Any],
    advocate: User,
    officer: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    policies()
    due = seed_person(valid_report, advocate, marker="Due", days_ago=400, image_size=(120, 80))
    recent = seed_person(
        valid_report, advocate, marker="Recent", days_ago=100, image_size=(121, 80)
    )
    held = seed_person(valid_report, advocate, marker="Held", days_ago=500, image_size=(122, 80))
    # Old enough, but the case and one photo are held (the report is not).
    part_held = seed_person(
        valid_report, advocate, marker="Part", days_ago=450, image_size=(123, 80)
    )
    # Old enough, but the case is still open: its period runs from closure.
    still_open = seed_person(
        valid_report, advocate, marker="Open", days_ago=420, image_size=(124, 80), close_case=False
    )
    legal_hold_set(
        record_kind="report",
        object_id=held.report.reference.lower(),  # a reference, as staff know it
        reason="Trial listed at Inner London Crown Court",
        acting_user=officer,
    )
    legal_hold_set(
        record_kind="case",
        object_id=str(part_held.case.pk),
        reason="Civil claim",
        acting_user=officer,
    )
    legal_hold_set(
        record_kind="evidence",
        object_id=str(part_held.item.pk),
        reason="Civil claim",
        acting_user=officer,
    )
    lifted = legal_hold_set(
        record_kind="report", object_id=str(due.report.pk), reason="Appeal", acting_user=officer
    )
    legal_hold_lift(hold=lifted, acting_user=officer)
    log_due = AccessLogEntry.objects.filter(at__lt=NOW - datetime.timedelta(days=30)).count()
    assert log_due > 0

    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
        run = retention_apply()

    assert_report_anonymised(due)
    assert_evidence_erased(due)
    assert_case_anonymised(due)
    for referral in (due.support, due.police):
        anonymised = Referral.objects.get(pk=referral.pk)
        assert anonymised.anonymised_at is not None and anonymised.advocate_name == ""
        assert anonymised.service_id == referral.service_id  # the figures stay
        assert anonymised.outcome == referral.outcome
    assert PoliceResponse.objects.get(referral=due.police).crime_reference == ""
    assert not ReferralEvent.objects.filter(
        referral=due.police, data__has_key="crime_reference"
    ).exists()

    assert_untouched(recent)
    assert_untouched(held)

    assert_report_anonymised(part_held)
    assert EvidenceItem.objects.get(pk=part_held.item.pk).status == EvidenceItem.Status.CLEAN
    assert all(default_storage.exists(name) for name in part_held.files)
    assert Case.objects.get(pk=part_held.case.pk).anonymised_at is None
    assert Referral.objects.get(pk=part_held.support.pk).anonymised_at is None  # its case is held
    assert Referral.objects.get(pk=part_held.police.pk).anonymised_at is not None

    assert_report_anonymised(still_open)
    assert_evidence_erased(still_open)
    assert Case.objects.get(pk=still_open.case.pk).anonymised_at is None
    assert Referral.objects.get(pk=still_open.support.pk).anonymised_at is None
    assert Referral.objects.get(pk=still_open.police.pk).anonymised_at is not None

    def ids(*records: Any) -> list[str]:
        return sorted(str(record.pk) for record in records)

    results = run.results
    assert sorted(results["report"]["ids"]) == ids(due.report, part_held.report, still_open.report)
    assert sorted(results["evidence"]["ids"]) == ids(due.item, still_open.item)
    assert sorted(results["referral"]["ids"]) == ids(
        due.support, due.police, part_held.police, still_open.police
    )
    assert results["case"]["ids"] == ids(due.case)
    assert results["case"]["held"] == 1 and results["evidence"]["held"] == 1
    assert results["access_log"]["count"] == log_due
    assert not AccessLogEntry.objects.filter(at__lt=NOW - datetime.timedelta(days=30)).exists()
    assert audit_verify() == []
    # The run is kept, and the access log says it happened (counts, no ids).
    assert RetentionRun.objects.get() == run
    entry = AccessLogEntry.objects.get(object_type="privacy.retentionrun")
    assert entry.action == "delete" and entry.detail["case"]["count"] == 1

    # The next day nothing more is due: the job is idempotent.
    with time_machine.travel(NOW + datetime.timedelta(days=1), tick=False):
        again = retention_apply()
    assert {kind: again.results[kind]["count"] for kind in ("report", "evidence", "case")} == {
        "report": 0,
        "evidence": 0,
        "case": 0,
    }


def test_a_policy_can_only_do_what_its_kind_allows(officer: User) -> None:
    from django.core.exceptions import ValidationError

    from privacy.services import retention_policy_save

    policy = RetentionPolicy.objects.get(record_kind="case")
    policy.action = "erase"
    with pytest.raises(ValidationError):
        policy.full_clean()
    with pytest.raises(ValueError, match="cannot"):
        retention_policy_save(policy=policy, acting_user=officer)
    policy.action, policy.keep_for_days = "anonymise", 7 * YEAR
    retention_policy_save(policy=policy, acting_user=officer)
    assert AccessLogEntry.objects.filter(
        object_type="privacy.retentionpolicy", actor_id=officer.pk, action="change"
    ).exists()


def test_the_access_export_holds_everything_about_the_person_across_every_app(
    valid_report: dict[str, Any], advocate: User, officer: User
) -> None:
    amara = seed_person(
        valid_report,
        advocate,
        marker="Amara",
        days_ago=20,
        image_size=(130, 90),
        email="amara.okafor@example.org",
    )
    # The same person again, matched by phone only (a different email).
    again = seed_person(
        valid_report,
        advocate,
        marker="Amarb",
        days_ago=10,
        image_size=(131, 90),
        email="a.okafor@example.net",
        phone="+44 7700 900123",
    )
    zed = seed_person(
        valid_report,
        advocate,
        marker="Zedcanary",
        days_ago=5,
        image_size=(132, 90),
        email="zed@example.org",
        phone="07700 900999",
    )
    request = subject_request_create(
        kind="access",
        requester_name="Amara Okafor",
        email="AMARA.okafor@example.org",
        phone="07700 900123",
    )
    subject_request_confirm_identity(request=request, how="Passport seen", acting_user=officer)
    subject_request_export(request_id=request.pk)

    request.refresh_from_db()
    assert request.status == SubjectRequest.Status.READY
    with default_storage.open(request.export_file) as stored:
        archive = zipfile.ZipFile(io.BytesIO(stored.read()))
    data = json.loads(archive.read("data.json"))
    summary = archive.read("summary.txt").decode()
    everything = summary + json.dumps(data)

    people = (amara, again)
    assert {r["reference"] for r in data["Reports"]} == {p.report.reference for p in people}
    assert {e["sha256"] for e in data["Evidence"]} == {p.item.sha256 for p in people}
    assert {r["id"] for r in data["Referrals"]} == {
        r.pk for p in people for r in (p.support, p.police)
    }
    assert {c["reference"] for c in data["Cases"]} == {p.case.reference for p in people}
    for person in people:
        for text in (
            f"{person.marker} was shouted at",  # the account
            f"{person.marker} remembered more.",  # additional information
            f"{person.marker}.jpg",  # the file's name
            f"{person.marker} note",
            f"{person.marker} needs",
            f"{person.marker} plan",
            f"{person.marker} action",
            f"CR-{person.marker}",
        ):
            assert text in summary and text in json.dumps(data, ensure_ascii=False), text
    # Events from every app: the report's timeline, the referral's, the case's, custody.
    report_record = next(r for r in data["Reports"] if r["reference"] == amara.report.reference)
    assert "Submitted" in {e["what"] for e in report_record["events"]}
    case_record = next(c for c in data["Cases"] if c["reference"] == amara.case.reference)
    assert {"Opened", "Note added", "Closed"} <= {e["what"] for e in case_record["events"]}
    assert "Accepted" in {
        e["what"] for r in data["Referrals"] for e in r["events"] if r["id"] == amara.support.pk
    }
    evidence = next(e for e in data["Evidence"] if e["sha256"] == amara.item.sha256)
    assert {"Received", "Scanned: clean"} <= {c["action"] for c in evidence["custody"]}
    # Nothing about anyone else.
    for text in ("Zedcanary", zed.report.reference, zed.item.sha256, "zed@example.org"):
        assert text not in everything


def test_erasure_covers_every_app_except_what_the_case_worker_keeps(
    valid_report: dict[str, Any],
    advocate: User,
    officer: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    first = seed_person(
        valid_report, advocate, marker="First", days_ago=20, image_size=(140, 90), email="x@e.org"
    )
    kept = seed_person(
        valid_report, advocate, marker="Kept", days_ago=10, image_size=(141, 90), email="x@e.org"
    )
    request = subject_request_create(kind="erasure", requester_name="X", email="x@e.org")
    subject_request_confirm_identity(request=request, how="Video call", acting_user=officer)
    with django_capture_on_commit_callbacks(execute=True):
        counts = subject_request_erase(
            request=request,
            acting_user=officer,
            keep_ids={"report": [str(kept.report.pk)]},
            exceptions="Open police investigation (UK GDPR Art. 17(3)(e))",
        )
    assert counts == {"case": 1, "referral": 2, "report": 1, "evidence": 1}
    assert_report_anonymised(first)
    assert_evidence_erased(first)
    assert_case_anonymised(first)
    assert_untouched(kept)
    assert not Referral.objects.filter(
        Q(report=first.report) & Q(anonymised_at__isnull=True)
    ).exists()
