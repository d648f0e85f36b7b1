"""Serving evidence to staff: headers, hash verification, custody, and who
gets which version (the full role x organisation matrix is in
referrals/tests/test_evidence_permissions.py)."""

from __future__ import annotations

import copy
import hashlib

import pytest
from django.contrib.auth.models import User
from django.core.files.storage import storages
from django.test import Client

from audit.models import AccessLogEntry
from audit.roles import Role
from evidence.models import CustodyEvent, EvidenceItem
from evidence.tests.conftest import jpeg_with_location, pdf_plain
from evidence.tests.helpers import claimed, processed, staff_client
from reports.models import Report
from tests.conftest import VALID_REPORT
from tests.helpers import submit
from tests.staff import make_staff

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("reference_data")]


@pytest.fixture
def report() -> Report:
    return submit(copy.deepcopy(VALID_REPORT)).report


@pytest.fixture
def triage(db: None) -> User:
    return make_staff("tara", Role.TRIAGE_OFFICER)


@pytest.fixture
def cora(db: None) -> User:
    # Staff, with a role that must never reach a victim's evidence.
    return make_staff("cora", Role.COMMISSIONING_OFFICER)


def _body(response: object) -> bytes:
    return b"".join(response.streaming_content)  # type: ignore[attr-defined]


def _assert_safe_headers(response: object) -> None:
    assert response["X-Content-Type-Options"] == "nosniff"  # type: ignore[index]
    assert response["Content-Security-Policy"] == "sandbox"  # type: ignore[index]
    assert "no-store" in response["Cache-Control"]  # type: ignore[index]


def test_triage_download_the_original_with_its_hash(
    clamd: str, triage: User, report: Report
) -> None:
    data = jpeg_with_location()
    item = claimed(processed(data, filename="bus stop.jpg"), report)
    response = staff_client(triage).get(f"/staff/evidence/{item.pk}/original/")
    assert response.status_code == 200
    assert _body(response) == data
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Evidence-SHA256"] == hashlib.sha256(data).hexdigest()
    _assert_safe_headers(response)
    event = item.custody.get(action=CustodyEvent.Action.DOWNLOADED)
    assert (event.acting_user, event.version, event.sha256) == (triage, "original", item.sha256)
    logged = AccessLogEntry.objects.get(actor_username="tara", action="download")
    assert (logged.object_id, logged.report_reference) == (str(item.pk), report.reference)
    assert logged.detail == {"version": "original", "sha256": item.sha256}


def test_a_download_asks_for_the_second_factor_again_when_it_is_old(
    clamd: str, triage: User, report: Report
) -> None:
    from tests.staff import verified_client

    item = claimed(processed(pdf_plain()), report)
    response = verified_client(triage).get(f"/staff/evidence/{item.pk}/original/")
    assert response.status_code == 302
    assert response["Location"].startswith("/staff/reverify/")
    assert not item.custody.filter(action=CustodyEvent.Action.DOWNLOADED).exists()


def test_a_password_without_the_second_factor_reaches_no_file(
    clamd: str, client: Client, triage: User, report: Report
) -> None:
    from django_otp import DEVICE_ID_SESSION_KEY

    item = claimed(processed(jpeg_with_location()), report)
    client.force_login(triage)
    session = client.session
    del session[DEVICE_ID_SESSION_KEY]  # signed in with the password alone
    session.save()
    response = client.get(f"/staff/evidence/{item.pk}/thumbnail/")
    assert response.status_code == 302
    assert response["Location"].startswith("/staff/login/")


def test_pdf_original_is_always_an_attachment(clamd: str, triage: User, report: Report) -> None:
    item = claimed(processed(pdf_plain(), filename="letter.pdf"), report)
    response = staff_client(triage).get(f"/staff/evidence/{item.pk}/original/")
    assert response["Content-Disposition"].startswith("attachment")
    _assert_safe_headers(response)


def test_derivatives_are_shown_inline_and_stripped_of_exif(
    clamd: str, triage: User, report: Report
) -> None:
    item = claimed(processed(jpeg_with_location()), report)
    response = staff_client(triage).get(f"/staff/evidence/{item.pk}/shareable/")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"].startswith("inline")
    _assert_safe_headers(response)
    assert b"Acme" not in _body(response)  # EXIF (and GPS) gone
    viewed = item.custody.get(action=CustodyEvent.Action.VIEWED)
    assert (viewed.acting_user, viewed.version) == (triage, "shareable")


def test_staff_without_a_claim_on_the_report_see_nothing_and_it_is_logged(
    clamd: str, cora: User, report: Report
) -> None:
    item = claimed(processed(jpeg_with_location()), report)
    client = staff_client(cora)
    for version in ("original", "thumbnail"):
        assert client.get(f"/staff/evidence/{item.pk}/{version}/").status_code == 404
    assert not item.custody.filter(action=CustodyEvent.Action.VIEWED).exists()
    denied = AccessLogEntry.objects.filter(actor_username="cora", outcome="denied")
    assert {entry.object_id for entry in denied} == {str(item.pk)}
    assert denied.count() == 2


def test_files_not_yet_attached_to_a_report_are_nobodys_to_see(clamd: str, triage: User) -> None:
    item = processed(jpeg_with_location())
    assert staff_client(triage).get(f"/staff/evidence/{item.pk}/thumbnail/").status_code == 404


def test_public_cannot_reach_evidence(clamd: str, client: Client, report: Report) -> None:
    item = claimed(processed(jpeg_with_location()), report)
    response = client.get(f"/staff/evidence/{item.pk}/thumbnail/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_altered_file_is_not_served_and_the_failure_is_recorded(
    clamd: str, triage: User, report: Report
) -> None:
    item = claimed(processed(jpeg_with_location()), report)
    path = storages["default"].path(item.storage_name)
    with open(path, "r+b") as handle:
        handle.seek(100)
        handle.write(b"tampered")
    response = staff_client(triage).get(f"/staff/evidence/{item.pk}/original/")
    assert response.status_code == 409
    assert item.custody.filter(action=CustodyEvent.Action.INTEGRITY_FAILED).exists()
    assert not item.custody.filter(action=CustodyEvent.Action.DOWNLOADED).exists()


def test_custody_log_is_visible_to_staff(clamd: str, triage: User, report: Report) -> None:
    item = claimed(processed(jpeg_with_location()), report)
    client = staff_client(triage)
    client.get(f"/staff/evidence/{item.pk}/thumbnail/")
    page = client.get(f"/staff/evidence/evidenceitem/{item.pk}/change/")
    assert page.status_code == 200
    assert item.sha256.encode() in page.content
    assert b"Viewed" in page.content
    assert EvidenceItem.objects.count() == 1
